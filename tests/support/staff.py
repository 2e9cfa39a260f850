from django.test import Client

from counselors.models import Role, User
from counselors.services import staff_create

PASSWORD = "a-long-test-passphrase-1"


def make_staff(username: str, *, role: Role = Role.COUNSELOR, display_name: str = "") -> User:
    return staff_create(
        username=username,
        password=PASSWORD,
        role=role,
        display_name=display_name or username.title(),
    )


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def session_cookie(user: User) -> str:
    return signed_in(user).cookies["sessionid"].value
