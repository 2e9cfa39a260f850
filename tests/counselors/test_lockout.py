"""Repeated failed sign-ins lock sign-in for the username and for the address (django-axes),
wrong codes included; while locked even the right password and code are refused, until the
lock ends or an administrator lifts it. Every refusal is logged and recorded, without the
password, the code, or a name that matches no account. Through the real sign-in page."""

import logging
import time
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client

from counselors.models import AccountEvent, AccountEventKind, Role
from tests.counselors.admin_form import change_url
from tests.support.staff import PASSWORD, code_for, make_staff, sign_in_form, signed_in

pytestmark = pytest.mark.django_db

LIMIT = 5  # SIGNIN_FAILURE_LIMIT's default
LOCK = timedelta(minutes=15)  # SIGNIN_LOCKOUT_MINUTES's default


def _locked(response) -> bool:
    return response.status_code == 429 and 'data-testid="locked-out"' in response.content.decode()


def _home(client: Client) -> int:
    return client.get("/").status_code


def test_after_the_failures_even_the_right_password_and_code_wait_for_the_lock_to_end() -> None:
    casey = make_staff("casey")
    with time_machine.travel(time.time(), tick=False) as clock:
        for attempt in range(1, LIMIT + 1):
            response = sign_in_form(Client(), "casey", password=f"guess-{attempt}", code="123456")
            # The attempt that reaches the limit gets the lockout page at once.
            assert _locked(response) == (attempt == LIMIT), attempt
        page = response.content.decode()
        assert f"After {LIMIT} failed sign-ins" in page and "15 minutes" in page

        # The right password and the right code: refused, from here and from anywhere else.
        for address in ("127.0.0.1", "203.0.113.9"):
            browser = Client()
            assert _locked(sign_in_form(browser, "casey", code=code_for(casey), address=address))
            assert _home(browser) == 302
        # Refusals while locked do not make the lock longer.
        clock.shift(LOCK - timedelta(seconds=1))
        assert _locked(sign_in_form(Client(), "casey", code=code_for(casey)))
        clock.shift(timedelta(seconds=2))
        browser = Client()
        assert sign_in_form(browser, "casey", code=code_for(casey))["Location"] == "/"
        assert _home(browser) == 200

    locked = AccountEvent.objects.get(kind=AccountEventKind.LOCKED)
    assert (locked.user_id, locked.address, locked.detail) == (casey.pk, "127.0.0.1", "5 failures")
    refused = AccountEvent.objects.filter(kind=AccountEventKind.SIGN_IN_FAILED, user_id=casey.pk)
    assert list(refused.values_list("detail", flat=True)) == ["password"] * LIMIT + ["locked"] * 3


def test_wrong_codes_count_as_failed_sign_ins() -> None:
    casey = make_staff("casey")
    with time_machine.travel(time.time(), tick=False) as clock:
        for _ in range(LIMIT):
            response = sign_in_form(Client(), "casey", code="000000")
            clock.shift(timedelta(seconds=40))  # django-otp's own back-off is not what refuses
        assert _locked(response)
        assert _locked(sign_in_form(Client(), "casey", code=code_for(casey)))
    details = AccountEvent.objects.filter(kind=AccountEventKind.SIGN_IN_FAILED).values_list(
        "detail", flat=True
    )
    assert list(details) == ["code"] * LIMIT + ["locked"]


def test_an_address_trying_many_names_is_locked_for_all_of_them() -> None:
    casey = make_staff("casey")
    with time_machine.travel(time.time(), tick=False):
        for name in ("admin", "root", "jordan", "morgan", "sam"):
            sign_in_form(Client(), name, password="guess", address="198.51.100.7")
        code = code_for(casey)
        assert _locked(sign_in_form(Client(), "casey", code=code, address="198.51.100.7"))
        # From its own address Casey still signs in.
        assert sign_in_form(Client(), "casey", code=code, address="192.0.2.1").status_code == 302


def test_an_administrator_unlocks_from_the_staff_page_and_others_may_not() -> None:
    casey = make_staff("casey")
    morgan = make_staff("morgan", role=Role.SUPERVISOR)
    ada = make_staff("ada", role=Role.ADMIN)
    with time_machine.travel(time.time(), tick=False) as clock:
        for _ in range(LIMIT):
            sign_in_form(Client(), "casey", code="000000")
        staff_page = signed_in(ada).get("/staff/").content.decode()
        assert 'data-testid="locked"' in staff_page
        assert f'action="/staff/{casey.pk}/unlock"' in staff_page

        # A supervisor sees the lock, but may not lift it; nor may a counselor.
        assert f"/staff/{casey.pk}/unlock" not in signed_in(morgan).get("/staff/").content.decode()
        assert signed_in(morgan).post(f"/staff/{casey.pk}/unlock").status_code == 403
        assert signed_in(make_staff("jordan")).post(f"/staff/{casey.pk}/unlock").status_code == 403
        clock.shift(timedelta(seconds=1))
        assert _locked(sign_in_form(Client(), "casey", code=code_for(casey)))

        unlocked = signed_in(ada).post(f"/staff/{casey.pk}/unlock")
        assert unlocked.status_code == 200 and "may sign in again" in unlocked.content.decode()
        # At once, without waiting for django-otp's back-off after the wrong codes either.
        browser = Client()
        assert sign_in_form(browser, "casey", code=code_for(casey)).status_code == 302
        assert _home(browser) == 200
    event = AccountEvent.objects.get(kind=AccountEventKind.UNLOCKED)
    assert (event.user_id, event.actor_id) == (casey.pk, ada.pk)


def test_the_admin_unlocks_from_django_admin_too() -> None:
    casey = make_staff("casey")
    jordan = make_staff("jordan")
    ada = make_staff("ada", role=Role.ADMIN)
    admin = signed_in(ada)
    with time_machine.travel(time.time(), tick=False):
        for name in ("casey", "jordan"):
            for _ in range(LIMIT):
                sign_in_form(Client(), name, password="guess", address=f"192.0.2.{len(name)}")
        # The accounts' action...
        response = admin.post(
            "/admin/counselors/user/",
            {"action": "unlock_sign_in", "_selected_action": [casey.pk]},
        )
        assert response.status_code == 302
        assert sign_in_form(Client(), "casey", code=code_for(casey)).status_code == 302
        # ...and deleting the attempt in django-axes' own list: both recorded as unlocks.
        attempt = AccessAttempt.objects.get(username="jordan")
        page = admin.get(f"/admin/axes/accessattempt/{attempt.pk}/delete/")
        assert page.status_code == 200
        deleted = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
        assert deleted.status_code == 302
        assert sign_in_form(Client(), "jordan", code=code_for(jordan)).status_code == 302
    unlocks = AccountEvent.objects.filter(kind=AccountEventKind.UNLOCKED).order_by("pk")
    assert [(e.user_id, e.actor_id) for e in unlocks] == [(casey.pk, ada.pk), (jordan.pk, ada.pk)]
    assert admin.get(change_url(casey)).status_code == 200


def test_the_admin_sign_in_is_locked_out_the_same_way() -> None:
    ada = make_staff("ada", role=Role.ADMIN)
    with time_machine.travel(time.time(), tick=False):
        for _ in range(LIMIT):
            sign_in_form(Client(), "ada", password="guess")
        browser = Client()
        response = browser.post(
            "/accounts/login/",
            {
                "username": "ada",
                "password": PASSWORD,
                "otp_token": code_for(ada),
                "next": "/admin/",
            },
        )
        assert _locked(response)
        assert browser.get("/admin/").status_code == 302
        # Django's admin sign-in form is no way round it: it only sends the browser here.
        posted = browser.post("/admin/login/", {"username": "ada", "password": PASSWORD})
        assert posted["Location"].startswith("/accounts/login/")
        assert browser.get("/admin/").status_code == 302


def test_every_failed_sign_in_is_logged_without_the_password_the_code_or_an_unknown_name(
    caplog,
) -> None:
    casey = make_staff("casey")
    caplog.set_level(logging.INFO)
    sign_in_form(Client(), "casey", password="Winter-Secret-99", code="", address="192.0.2.44")
    sign_in_form(Client(), "casey", code="246810", address="192.0.2.44")
    sign_in_form(Client(), "Ghost-Of-Alice", password="Guess-Secret-11", address="192.0.2.45")
    text = caplog.text
    for secret in ("Winter-Secret-99", "Guess-Secret-11", "246810", PASSWORD, "Ghost-Of-Alice"):
        assert secret not in text, secret
    lines = [r.getMessage() for r in caplog.records if r.name == "counselors.events"]
    failed = [line for line in lines if line.startswith("account sign_in_failed")]
    assert len(failed) == 3
    assert f"user={casey.pk}" in failed[0] and "address=192.0.2.44" in failed[0]
    assert failed[0].endswith("password") and failed[1].endswith("code")
    # A name with no account: a keyed digest, the same each time the name is tried.
    ghost = AccountEvent.objects.get(kind=AccountEventKind.SIGN_IN_FAILED, user_id=None)
    assert len(ghost.username_digest) == 16 and ghost.username_digest in failed[2]
    sign_in_form(Client(), "Ghost-Of-Alice", password="other", address="192.0.2.46")
    digests = AccountEvent.objects.filter(user_id=None).values_list("username_digest", flat=True)
    assert len(set(digests)) == 1
    # django-axes' own record of the attempts keeps no password or code either.
    stored = " ".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert "Winter-Secret-99" not in stored and "246810" not in stored


def test_the_lockout_counts_the_address_the_trusted_proxy_saw(settings) -> None:
    """Behind a proxy every request comes from the proxy's address: with
    SIGNIN_TRUSTED_PROXIES=1 the lockout counts the client's, as the proxy appended it, and a
    client cannot choose it by writing X-Forwarded-For itself."""
    settings.SIGNIN_TRUSTED_PROXIES = 1
    casey = make_staff("casey")
    with time_machine.travel(time.time(), tick=False):
        for _ in range(LIMIT):
            Client().post(
                "/accounts/login/",
                {"username": f"guess{_}", "password": "guess"},
                REMOTE_ADDR="10.0.0.2",
                HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.20",
            )
        code = code_for(casey)
        from_attacker = Client().post(
            "/accounts/login/",
            {"username": "casey", "password": PASSWORD, "otp_token": code},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="5.6.7.8, 198.51.100.20",
        )
        assert _locked(from_attacker)
        from_colleague = Client().post(
            "/accounts/login/",
            {"username": "casey", "password": PASSWORD, "otp_token": code},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="198.51.100.21",
        )
        assert from_colleague.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.20"}
