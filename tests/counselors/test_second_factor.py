"""Every staff account signs in with a password and a code, through the real sign-in page:
a code from the authenticator app staff_create enrolled, or a backup code, once. The admin site
has no sign-in of its own. The person replaces their authenticator and backup codes from their
own page; a supervisor resets a lost one; the demo alone may turn the factor off, and says so."""

import io
import json
import sys
import time
from datetime import timedelta
from unittest import mock
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import TOTP

from counselors import second_factor
from counselors.models import AccountEvent, AccountEventKind, Role, User
from tests.support.staff import PASSWORD, code_for, make_staff, sign_in_form, signed_in

pytestmark = pytest.mark.django_db

ROLES = (Role.COUNSELOR, Role.SUPERVISOR, Role.ADMIN)


def _signed_in_as(client: Client) -> str | None:
    """Who the console's home page greets, or None when it sends the browser to sign in."""
    page = client.get("/")
    if page.status_code == 302:
        return None
    assert page.status_code == 200
    return page.context["user"].username


def _command(*args: str, stdin: str = "") -> str:
    out = io.StringIO()
    with mock.patch.object(sys, "stdin", io.StringIO(stdin)):
        call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("role", ROLES)
def test_sign_in_needs_the_code_for_every_role(role: Role) -> None:
    person = make_staff(f"p-{role}", role=role)
    with time_machine.travel(time.time(), tick=False) as clock:
        browser = Client()
        # The right password alone, and the right password with a wrong or stale code: refused,
        # with one message that does not say which part was wrong.
        for code in ("", "000000", code_for(person, at=time.time() - 120), "nonsense"):
            page = sign_in_form(browser, person.username, code=code)
            assert page.status_code == 200
            assert "do not match" in page.content.decode()
            assert _signed_in_as(browser) is None
            clock.shift(timedelta(seconds=31))  # past django-otp's back-off after a wrong code
        assert sign_in_form(browser, person.username, code=code_for(person))["Location"] == "/"
        assert _signed_in_as(browser) == person.username
    # The code was checked as part of signing in: each refusal is a failed sign-in.
    refusals = AccountEvent.objects.filter(kind=AccountEventKind.SIGN_IN_FAILED, user_id=person.pk)
    assert sorted(refusals.values_list("detail", flat=True)) == ["code"] * 4
    assert AccountEvent.objects.filter(kind=AccountEventKind.SIGNED_IN, user_id=person.pk).count()


def test_a_code_works_once_and_the_page_asks_for_it() -> None:
    casey = make_staff("casey")
    page = Client().get("/accounts/login/").content.decode()
    assert 'name="otp_token"' in page and 'autocomplete="one-time-code"' in page
    with time_machine.travel(time.time(), tick=False):
        code = code_for(casey)
        assert sign_in_form(Client(), "casey", code=code).status_code == 302
        # Seen once, the same code signs no one in again (a shoulder-surfed code is spent).
        replay = Client()
        assert sign_in_form(replay, "casey", code=code).status_code == 200
        assert _signed_in_as(replay) is None


def test_a_backup_code_signs_in_once() -> None:
    casey = make_staff("casey")
    codes = second_factor.backup_codes_issue(user=casey)
    assert len(codes) == 10 and len(set(codes)) == 10
    first = codes[0]
    with time_machine.travel(time.time(), tick=False) as clock:
        browser = Client()
        assert sign_in_form(browser, "casey", code=first).status_code == 302
        assert _signed_in_as(browser) == "casey"
        # Typed without the space and in capitals, it is the same code: and it is spent.
        again = Client()
        assert sign_in_form(again, "casey", code=first.replace(" ", "").upper()).status_code == 200
        assert _signed_in_as(again) is None
        clock.shift(timedelta(seconds=2))  # past django-otp's back-off after that refusal
        # Another one still works, and says how many are left.
        assert sign_in_form(Client(), "casey", code=codes[1].replace(" ", "-")).status_code == 302
    used = AccountEvent.objects.filter(kind=AccountEventKind.BACKUP_CODE_USED, user_id=casey.pk)
    assert list(used.values_list("detail", flat=True)) == ["9 left", "8 left"]


def test_an_account_without_a_second_factor_is_told_to_ask_for_one() -> None:
    """createsuperuser (or the admin's add form) makes an account with no authenticator: it
    cannot sign in, and once its password is right it is told why."""
    call_command("createsuperuser", interactive=False, username="root", email="r@example.org")
    root = User.objects.get(username="root")
    root.set_password(PASSWORD)
    root.save()
    page = sign_in_form(Client(), "root", code="123456")
    assert page.status_code == 200
    assert "no second factor set up yet" in page.content.decode()
    # A wrong password does not learn that.
    wrong = sign_in_form(Client(), "root", password="not-the-password", code="123456")
    assert "no second factor" not in wrong.content.decode()

    # The operator's way out: a new authenticator for the account, printed as staff_create does.
    printed = json.loads(_command("second_factor_reset", "root"))
    assert printed["username"] == "root"
    code = _code_from_uri(printed["otpauth_uri"])
    assert sign_in_form(Client(), "root", code=code).status_code == 302


def _code_from_uri(uri: str) -> str:
    """What an authenticator app that scanned this URI shows now."""
    import base64

    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    secret = parse_qs(parsed.query)["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{TOTP(key).token():06d}"


def test_staff_create_prints_one_json_line_whose_uri_signs_in() -> None:
    out = _command("staff_create", "dana", "--role", "supervisor", stdin="a-long-passphrase-2026\n")
    lines = out.splitlines()
    assert len(lines) == 1
    printed = json.loads(lines[0])
    assert set(printed) == {"username", "otpauth_uri"}
    assert printed["username"] == "dana"
    assert printed["otpauth_uri"].startswith("otpauth://totp/Handoff%20Console%3Adana?")
    assert "issuer=Handoff%20Console" in printed["otpauth_uri"]
    assert (
        sign_in_form(Client(), "dana", password="a-long-passphrase-2026", code="").status_code
        == 200
    )
    browser = Client()
    response = sign_in_form(
        browser,
        "dana",
        password="a-long-passphrase-2026",
        code=_code_from_uri(printed["otpauth_uri"]),
    )
    assert response.status_code == 302 and _signed_in_as(browser) == "dana"
    enrolled = AccountEvent.objects.get(kind=AccountEventKind.FACTOR_ENROLLED)
    assert enrolled.user_id == User.objects.get(username="dana").pk


@pytest.mark.parametrize(
    "password",
    ["short-pass1", "qwerty123456", "123456654321", "dana-the-counselor"],
)
def test_weak_passwords_are_refused(password: str) -> None:
    """Twelve characters at least, not a common password, not all digits, not the username."""
    with pytest.raises(CommandError, match=r"too short|too common|entirely numeric|too similar"):
        _command("staff_create", "dana-the-counselor", "--role", "counselor", stdin=f"{password}\n")
    assert not User.objects.filter(username="dana-the-counselor").exists()


def test_the_person_sets_up_a_new_authenticator_and_backup_codes_from_their_page() -> None:
    casey = make_staff("casey")
    old = second_factor.authenticator_of(casey)
    assert old is not None
    browser = signed_in(casey)
    page = browser.get("/account/").content.decode()
    assert "Backup codes left: 0" in page

    with time_machine.travel(time.time(), tick=False) as clock:
        # A wrong password changes nothing (and counts as a failed sign-in).
        refused = browser.post(
            "/account/authenticator", {"password": "wrong", "otp_token": code_for(casey)}
        )
        assert refused.status_code == 400 and "nothing was changed" in refused.content.decode()
        assert AccountEvent.objects.filter(kind=AccountEventKind.SIGN_IN_FAILED).count() == 1
        clock.shift(timedelta(seconds=31))

        started = browser.post(
            "/account/authenticator", {"password": PASSWORD, "otp_token": code_for(casey)}
        )
        assert started.status_code == 200
        html = started.content.decode()
        # The QR code is drawn here, as inline SVG: no image service, no script.
        assert '<svg width="' in html and "<script" not in html.split("<main>")[1]
        secret = started.context["pending"]["secret"].replace(" ", "")
        pending = second_factor.pending_of(casey, browser.session["console.pending_authenticator"])
        assert pending is not None and not pending.confirmed
        # Until confirmed, the old authenticator still signs in.
        assert second_factor.authenticator_of(casey) == old

        wrong = browser.post("/account/authenticator/confirm", {"new_token": "000000"})
        assert wrong.status_code == 400
        clock.shift(timedelta(seconds=31))
        import base64

        new_code = f"{TOTP(base64.b32decode(secret)).token():06d}"
        done = browser.post("/account/authenticator/confirm", {"new_token": new_code})
        assert done.status_code == 200
        codes = done.context["backup_codes"]
        assert len(codes) == 10 and all(c in done.content.decode() for c in codes)

        clock.shift(timedelta(seconds=31))
        # The old authenticator no longer signs in; the new one does, and so does a backup code.
        old_code = f"{TOTP(old.bin_key).token():06d}"
        assert sign_in_form(Client(), "casey", code=old_code).status_code == 200
        clock.shift(timedelta(seconds=31))
        assert sign_in_form(Client(), "casey", code=code_for(casey)).status_code == 302
        assert sign_in_form(Client(), "casey", code=codes[3]).status_code == 302

        # New backup codes replace the old ones, shown once.
        clock.shift(timedelta(seconds=31))
        fresh = browser.post("/account/backup-codes", {"password": PASSWORD, "otp_token": codes[4]})
        assert fresh.status_code == 200
        assert sign_in_form(Client(), "casey", code=codes[5]).status_code == 200
        clock.shift(timedelta(seconds=31))  # past the back-off after that wrong code
        assert (
            sign_in_form(Client(), "casey", code=fresh.context["backup_codes"][0]).status_code
            == 302
        )
    assert "Backup codes left: 9" in browser.get("/account/").content.decode()
    kinds = list(AccountEvent.objects.filter(user_id=casey.pk).values_list("kind", flat=True))
    assert kinds.count(AccountEventKind.FACTOR_ENROLLED) == 2  # staff_create, then the new one
    assert kinds.count(AccountEventKind.BACKUP_CODES_ISSUED) == 2


def test_a_supervisor_resets_a_lost_second_factor_and_the_persons_sessions_end() -> None:
    casey = make_staff("casey")
    jordan = make_staff("jordan")
    morgan = make_staff("morgan", role=Role.SUPERVISOR)
    ada = make_staff("ada", role=Role.ADMIN)
    caseys_browser = signed_in(casey)
    lost = second_factor.authenticator_of(casey)
    assert lost is not None

    # Counselors may not; a supervisor may not reset an administrator's.
    assert signed_in(jordan).post(f"/staff/{casey.pk}/second-factor/reset").status_code == 403
    assert signed_in(morgan).post(f"/staff/{ada.pk}/second-factor/reset").status_code == 403
    assert second_factor.authenticator_of(casey) == lost

    reset = signed_in(morgan).post(f"/staff/{casey.pk}/second-factor/reset")
    assert reset.status_code == 200
    html = reset.content.decode()
    assert "<svg" in html and "Shown only now" in html
    assert _signed_in_as(caseys_browser) is None  # whoever holds the phone is out
    assert second_factor.authenticator_of(casey) != lost
    event = AccountEvent.objects.get(kind=AccountEventKind.FACTOR_RESET)
    assert (event.user_id, event.actor_id) == (casey.pk, morgan.pk)

    # The key shown signs Casey in; the lost phone's codes do not.
    with time_machine.travel(time.time() + 60, tick=False):
        lost_code = f"{TOTP(lost.bin_key).token():06d}"
        assert sign_in_form(Client(), "casey", code=lost_code).status_code == 200
    with time_machine.travel(time.time() + 120, tick=False):  # past the back-off after it
        assert sign_in_form(Client(), "casey", code=code_for(casey)).status_code == 302
    # An administrator may reset an administrator's.
    assert signed_in(ada).post(f"/staff/{ada.pk}/second-factor/reset").status_code == 200


def test_the_admin_site_signs_in_through_the_console_sign_in() -> None:
    ada = make_staff("ada", role=Role.ADMIN)
    login = Client().get("/admin/login/?next=/admin/counselors/user/")
    assert login.status_code == 302
    assert login["Location"] == "/accounts/login/?next=%2Fadmin%2Fcounselors%2Fuser%2F"
    # Its own form takes nothing: a password posted there signs no one in.
    browser = Client()
    posted = browser.post("/admin/login/", {"username": "ada", "password": PASSWORD})
    assert posted.status_code == 302 and posted["Location"].startswith("/accounts/login/")
    assert browser.get("/admin/").status_code == 302
    # The password alone is refused at the console's sign-in too; with the code, the admin opens.
    assert sign_in_form(browser, "ada").status_code == 200
    assert browser.get("/admin/").status_code == 302
    with time_machine.travel(time.time(), tick=False):
        signed = browser.post(
            "/accounts/login/",
            {
                "username": "ada",
                "password": PASSWORD,
                "otp_token": code_for(ada),
                "next": "/admin/counselors/user/",
            },
        )
    assert signed["Location"] == "/admin/counselors/user/"
    assert browser.get("/admin/counselors/user/").status_code == 200


def test_a_session_not_verified_by_a_second_factor_is_signed_out() -> None:
    """A session signed in some other way (an old one, made before the second factor) opens
    neither the console nor the admin."""
    ada = make_staff("ada", role=Role.ADMIN)
    browser = Client()
    browser.force_login(ada)  # signed in, but by no device
    admin = browser.get("/admin/")
    assert admin.status_code == 302
    assert "ended=unverified" in admin["Location"]
    assert browser.get("/")["Location"].startswith("/accounts/login/")
    assert AccountEvent.objects.filter(
        kind=AccountEventKind.SESSION_EXPIRED, detail="unverified", user_id=ada.pk
    ).exists()


def test_with_the_second_factor_off_every_page_says_so_and_the_password_alone_signs_in(
    settings,
) -> None:
    casey = make_staff("casey")
    assert "second-factor-off" not in Client().get("/accounts/login/").content.decode()
    assert "second-factor-off" not in signed_in(casey).get("/").content.decode()

    settings.OTP_REQUIRED = False  # what `manage.py demo` does for its own process
    login = Client().get("/accounts/login/").content.decode()
    assert 'data-testid="second-factor-off"' in login and 'name="otp_token"' not in login
    browser = Client()
    assert sign_in_form(browser, "casey").status_code == 302
    for url in ("/", "/cases/", "/follow-ups/", "/account/"):
        assert 'data-testid="second-factor-off"' in browser.get(url).content.decode(), url


def test_the_demo_command_turns_the_factor_off_and_keeps_it_on_when_asked(settings) -> None:
    settings.OTP_REQUIRED = True
    out = _command("demo", "--no-serve")
    assert settings.OTP_REQUIRED is False
    assert "second factor: OFF" in out
    ready = json.loads(
        next(li for li in out.splitlines() if li.startswith("DEMO-READY ")).split(" ", 1)[1]
    )
    browser = Client()
    assert (
        sign_in_form(browser, "counselor", password=ready["accounts"]["counselor"]).status_code
        == 302
    )
    assert 'data-testid="second-factor-off"' in browser.get("/").content.decode()

    out = _command("demo", "--no-serve", "--second-factor")
    assert settings.OTP_REQUIRED is True
    assert "second factor: OFF" not in out
    uri = next(li for li in out.splitlines() if "authenticator otpauth://" in li).split()[-1]
    ready = json.loads(
        next(li for li in out.splitlines() if li.startswith("DEMO-READY ")).split(" ", 1)[1]
    )
    password = ready["accounts"]["counselor"]
    assert sign_in_form(Client(), "counselor", password=password).status_code == 200
    assert (
        sign_in_form(Client(), "counselor", password=password, code=_code_from_uri(uri)).status_code
        == 302
    )
