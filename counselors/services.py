from counselors.models import Role, User


def staff_create(*, username: str, password: str, role: Role, display_name: str = "") -> User:
    """Create a staff account; admins also get Django's admin site (User.access_follow_role)."""
    user = User(username=username, role=role, display_name=display_name)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user
