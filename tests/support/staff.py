"""Staff accounts for tests, and signed-in browsers for them.

Every account made here is enrolled in the second factor, as `staff_create` enrolls it.
`signed_in` and `session_cookie` give a session as the sign-in page gives one after a correct
password and code: verified by the account's authenticator (django-otp keeps the device in the
session), with the times the session policy reads. `code_for` computes the code the person's
authenticator app shows, for tests that sign in through the form.
"""

import secrets
import time

import httpx
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP

from counselors import second_factor
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


def verified_login(client: Client, user: User) -> Client:
    """Sign the client in as the user, verified by their authenticator (one is made for an
    account created without one)."""
    device = second_factor.authenticator_of(user) or second_factor.enroll(user=user)
    client.force_login(user)
    # What django-otp keeps in the session of a person who signed in with this device.
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def signed_in(user: User) -> Client:
    return verified_login(Client(), user)


def session_cookie(user: User) -> str:
    return signed_in(user).cookies["sessionid"].value


def code_for(user: User, *, at: float | None = None) -> str:
    """The six digits the user's authenticator app shows at `at` (now by default)."""
    device = second_factor.authenticator_of(user)
    assert device is not None, f"{user.username} has no authenticator"
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


def sign_in_form(
    client: Client,
    username: str,
    *,
    password: str = PASSWORD,
    code: str = "",
    address: str = "127.0.0.1",
    path: str = "/accounts/login/",
):
    """POST the sign-in page as a person would, from `address`."""
    return client.post(
        path,
        {"username": username, "password": password, "otp_token": code},
        REMOTE_ADDR=address,
    )


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
