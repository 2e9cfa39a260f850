"""A sign-in with a name no account can have is refused like any wrong sign-in: never a 500,
and nothing of it stored."""

import pytest
from axes.models import AccessAttempt
from django.test import Client

from counselors.models import AccountEvent

pytestmark = pytest.mark.django_db

NAMES = ["a" * 100_000, "x" * 151, "root\x00", "<b>root</b>\u202e", "ro\u200bot"]


@pytest.mark.parametrize("name", NAMES, ids=["100 KB", "151 chars", "NUL", "markup+bidi", "ZWSP"])
def test_an_impossible_username_is_a_plain_refusal(name: str) -> None:
    response = Client().post(
        "/accounts/login/", {"username": name, "password": "wrong-password", "otp_token": ""}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<b>root</b>" not in html
    assert not AccessAttempt.objects.exists()
    if "\x00" in name:  # the form itself refuses it, before any check
        assert "Null characters are not allowed." in html
        return
    assert "do not match an active account" in html
    # Recorded as a failed sign-in, by a digest of the name, never the name itself.
    failed = AccountEvent.objects.get()
    assert failed.kind == "sign_in_failed"
    assert failed.user_id is None
    assert failed.username_digest
    assert failed.username_digest not in name
