from counselors.models import Role, User


def staff_create(*, username: str, password: str, role: Role, display_name: str = "") -> User:
    """Create a staff account; admins also get Django's admin site."""
    user = User(username=username, role=role, display_name=display_name)
    user.is_staff = role == Role.ADMIN
    user.is_superuser = role == Role.ADMIN
    user.set_password(password)
    user.full_clean()
    user.save()
    return user
