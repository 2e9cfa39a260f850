from django.db import transaction

from counselors import second_factor
from counselors.models import Role, User


@transaction.atomic
def staff_create(*, username: str, password: str, role: Role, display_name: str = "") -> User:
    """Create a staff account, enrolled in the second factor (its authenticator is
    `second_factor.authenticator_of(user)`, to hand to the person); admins also get Django's
    admin site (User.access_follow_role)."""
    user = User(username=username, role=role, display_name=display_name)
    user.set_password(password)
    user.full_clean()
    user.save()
    second_factor.enroll(user=user)
    return user
