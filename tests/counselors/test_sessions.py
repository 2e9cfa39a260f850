"""A sign-in ends after SESSION_IDLE_MINUTES without a request the person made (a page's own
refreshes do not count), after SESSION_COOKIE_AGE in any case, and with the browser; the page
warns before. A person signs out everywhere; a supervisor ends a person's sessions. Through the
real views, the clock moved by time-machine."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client

from counselors.models import AccountEvent, AccountEventKind, Role, User
from tests.cases.conftest import CaseWorld
from tests.support.staff import make_staff, signed_in

pytestmark = pytest.mark.django_db

IDLE = timedelta(minutes=30)  # SESSION_IDLE_MINUTES's default


def _sessions_of(user: User) -> int:
    return sum(
        1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)
    )


def _status(client: Client) -> dict:
    return client.get("/accounts/session").json()


def test_a_session_ends_after_the_idle_limit_and_the_person_is_told_why() -> None:
    with time_machine.travel(time.time(), tick=False) as clock:
        casey = make_staff("casey")
        browser = signed_in(casey)
        # The person's own requests keep it: well over the limit in all, never idle that long.
        for _ in range(3):
            clock.shift(IDLE - timedelta(minutes=1))
            assert browser.get("/").status_code == 200
        clock.shift(IDLE)
        page = browser.get("/cases/")
        assert page.status_code == 302
        assert page["Location"] == "/accounts/login/?next=%2Fcases%2F&ended=idle"
        assert _sessions_of(casey) == 0
        told = browser.get(page["Location"]).content.decode()
        assert "signed out after 30 minutes without activity" in told
        # Gone for good: the old cookie does not come back to life.
        assert browser.get("/").status_code == 302
    event = AccountEvent.objects.get(kind=AccountEventKind.SESSION_EXPIRED)
    assert (event.user_id, event.detail) == (casey.pk, "idle")


def test_a_tab_left_open_does_not_keep_the_session_alive(platform_factory) -> None:
    """The case page refreshes its live part by itself, and the expiry warning asks how long is
    left: neither is the person being there."""
    with time_machine.travel(time.time(), tick=False) as clock:
        world = CaseWorld(platform_factory)
        browser = world.client
        assert browser.get(world.url).status_code == 200
        live = f"/cases/{world.case_id}/live"
        for _ in range(5):
            clock.shift(timedelta(minutes=5))
            assert browser.get(live).status_code == 200
            assert _status(browser)["signed_in"] is True
        clock.shift(timedelta(minutes=5, seconds=1))
        assert _status(browser) == {"signed_in": False, "seconds_left": 0}
        assert browser.get(live).status_code == 302
        assert browser.get(world.url)["Location"].startswith("/accounts/login/")


def test_the_page_warns_before_the_end_and_staying_signed_in_counts() -> None:
    with time_machine.travel(time.time(), tick=False) as clock:
        browser = signed_in(make_staff("casey"))
        page = browser.get("/").content.decode()
        assert '<meta name="session-expiry" content="1800" data-warn="120"' in page
        assert "/static/console/session.js" in page
        assert browser.get("/static/console/session.js").status_code == 200
        clock.shift(IDLE - timedelta(seconds=100))
        assert _status(browser) == {"signed_in": True, "seconds_left": 100}  # the warning shows
        # "Stay signed in" is a request the person makes.
        kept = browser.post("/accounts/session/keep")
        assert kept.json() == {"signed_in": True, "seconds_left": 1800}
        clock.shift(IDLE - timedelta(seconds=1))
        assert browser.get("/").status_code == 200
    # Signed out, there is nothing to warn about.
    assert "session-expiry" not in Client().get("/accounts/login/").content.decode()


def test_a_sign_in_lasts_one_shift_at_most(settings) -> None:
    settings.SESSION_COOKIE_AGE = 3600
    with time_machine.travel(time.time(), tick=False) as clock:
        browser = signed_in(make_staff("casey"))
        for _ in range(3):
            clock.shift(timedelta(minutes=19))
            assert browser.get("/").status_code == 200
        clock.shift(timedelta(minutes=4))
        page = browser.get("/")
        assert page["Location"] == "/accounts/login/?next=%2F&ended=expired"


def test_the_sign_in_cookie_is_a_browser_session_cookie() -> None:
    from tests.support.staff import code_for, sign_in_form

    casey = make_staff("casey")
    browser = Client()
    response = sign_in_form(browser, "casey", code=code_for(casey))
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie.value and not cookie["expires"] and not cookie["max-age"]
    assert cookie["httponly"]


def test_sign_out_everywhere_ends_every_session_of_the_person_only() -> None:
    casey = make_staff("casey")
    jordan = make_staff("jordan")
    desk, phone, other = signed_in(casey), signed_in(casey), signed_in(jordan)
    assert "Sign out everywhere" in desk.get("/account/").content.decode()
    response = desk.post("/account/sign-out-everywhere")
    assert response["Location"] == "/accounts/login/?ended=everywhere"
    assert desk.get("/").status_code == 302 and phone.get("/").status_code == 302
    assert other.get("/").status_code == 200
    assert _sessions_of(casey) == 0 and _sessions_of(jordan) == 1
    event = AccountEvent.objects.get(kind=AccountEventKind.SIGNED_OUT_EVERYWHERE)
    assert (event.user_id, event.actor_id, event.detail) == (casey.pk, None, "2 sessions")


def test_a_supervisor_ends_a_persons_sessions_and_a_counselor_may_not() -> None:
    casey = make_staff("casey", display_name="Casey")
    jordan = make_staff("jordan")
    morgan = make_staff("morgan", role=Role.SUPERVISOR)
    ada = make_staff("ada", role=Role.ADMIN)
    caseys = signed_in(casey)
    # Counselors: no staff page, no ending anyone's sessions.
    assert signed_in(jordan).get("/staff/").status_code == 403
    assert signed_in(jordan).post(f"/staff/{casey.pk}/sessions/end").status_code == 403
    assert caseys.get("/").status_code == 200

    supervisor = signed_in(morgan)
    page = supervisor.get("/staff/").content.decode()
    assert f'action="/staff/{casey.pk}/sessions/end"' in page
    # An administrator's sessions are an administrator's to end.
    assert f'action="/staff/{ada.pk}/sessions/end"' not in page
    assert supervisor.post(f"/staff/{ada.pk}/sessions/end").status_code == 403

    ended = supervisor.post(f"/staff/{casey.pk}/sessions/end")
    assert ended.status_code == 200
    assert "Casey is signed out everywhere" in ended.content.decode()
    assert caseys.get("/").status_code == 302
    assert supervisor.get("/").status_code == 200
    event = AccountEvent.objects.get(kind=AccountEventKind.SESSIONS_ENDED)
    assert (event.user_id, event.actor_id) == (casey.pk, morgan.pk)
    assert signed_in(ada).post(f"/staff/{ada.pk}/sessions/end")["Location"] == "/accounts/login/"


def test_signing_out_is_recorded() -> None:
    casey = make_staff("casey")
    browser = signed_in(casey)
    assert browser.post("/accounts/logout/").status_code == 302
    assert browser.get("/").status_code == 302
    assert AccountEvent.objects.filter(kind=AccountEventKind.SIGNED_OUT, user_id=casey.pk).exists()


def test_an_action_from_a_page_after_the_idle_limit_sends_the_whole_page_to_sign_in() -> None:
    with time_machine.travel(time.time(), tick=False) as clock:
        browser = signed_in(make_staff("casey"))
        clock.shift(IDLE)
        response = browser.post(
            "/me/availability", {"availability": "away"}, HTTP_HX_REQUEST="true"
        )
        assert response["HX-Redirect"] == "/accounts/login/?ended=idle"
        assert browser.get("/").status_code == 302


@pytest.mark.parametrize("name", ["SESSION_IDLE_MINUTES", "SIGNIN_FAILURE_LIMIT"])
def test_a_limit_below_one_stops_the_console_at_start(name: str) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", name: "0"},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert f"{name} must be 1 or more, got 0" in result.stderr
