import secrets

import httpx
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


class StaffHttp:
    """A signed-in staff member's browser against a real server, as httpx: the session cookie,
    and the CSRF cookie and header a page's form would send."""

    def __init__(self, cookie: str) -> None:
        csrf = secrets.token_hex(16)  # Django takes a 32-character secret as it is
        self.cookies = {"sessionid": cookie, "csrftoken": csrf}
        self.headers = {"X-CSRFToken": csrf}

    def get(self, url: str) -> httpx.Response:
        return httpx.get(url, cookies=self.cookies, timeout=10)

    def post(self, url: str, data: dict[str, str] | None = None) -> httpx.Response:
        return httpx.post(
            url, data=data or {}, cookies=self.cookies, headers=self.headers, timeout=10
        )
