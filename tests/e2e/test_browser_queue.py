"""A counselor's night, in Debian's Chromium driven by Playwright against a real daphne."""

import json
import shutil
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from django import db
from django.db import connection
from standardwebhooks import Webhook

from counselors.models import User
from handoff.demo.sample import sample_handoff
from tests.support.servers import daphne, free_port
from tests.support.staff import PASSWORD, code_for, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]


def post_handoff(base: str, slug: str, secret: str, level: str) -> str:
    body = json.dumps(sample_handoff(level=level)).encode()
    msg_id = f"msg_{uuid.uuid4().hex}"
    now = datetime.now(tz=UTC)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, now, body.decode()),
        "content-type": "application/json",
    }
    response = httpx.post(
        f"{base}/api/v1/platforms/{slug}/handoffs", content=body, headers=headers, timeout=10
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def chromium_path() -> str:
    """Debian's Chromium, with the screenshots' folder ready."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is not installed (scripts/install.sh --browser installs it)")
    ARTIFACTS.mkdir(exist_ok=True)
    return chromium


def csp_violations(page) -> list[str]:
    """Collect what the browser refuses under the Content Security Policy."""
    seen: list[str] = []
    page.on(
        "console",
        lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return seen


def casey_alone(platform_factory: Any) -> tuple[str, Any, str]:
    """Debian's Chromium, a platform to post from, Casey (a counselor), and the name of the
    test database for the daphne the browser talks to."""
    chromium = chromium_path()
    platform = platform_factory()
    make_staff("casey", display_name="Casey")
    return chromium, platform, connection.settings_dict["NAME"]


def sign_in(page, base: str, username: str) -> None:
    """Through the sign-in page, as a person would: password, and the code their app shows."""
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    code = in_this_process(lambda: code_for(User.objects.get(username=username)))
    page.fill("#id_otp_token", code)
    page.click("button[type=submit]")
    page.wait_for_selector("#connection[data-state=live]")


def test_counselors_see_a_handoff_arrive_and_only_one_claims_it(platform_factory) -> None:
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    p = platform_factory()
    make_staff("casey", display_name="Casey")
    make_staff("jordan", display_name="Jordan")
    database = connection.settings_dict["NAME"]

    with daphne(database_name=database) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        casey = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        violations = csp_violations(casey)
        jordan_ctx = browser.new_context(viewport={"width": 1400, "height": 900})
        jordan = jordan_ctx.new_page()
        sign_in(casey, base, "casey")
        sign_in(jordan, base, "jordan")
        assert casey.is_visible("text=No one is waiting")

        case_id = post_handoff(base, p.slug, p.inbound_secret, "imminent")

        # Appears on both dashboards without a reload.
        row = f"#case-{case_id}"
        casey.wait_for_selector(row)
        jordan.wait_for_selector(row)
        assert "Imminent" in casey.inner_text(row)
        assert "summary pending" in casey.inner_text(row) or "machine" in casey.inner_text(row)
        assert casey.inner_text("[data-testid=count-imminent]") == "1"
        casey.screenshot(path=str(ARTIFACTS / "queue-new-imminent.png"), full_page=True)

        # Jordan reads the case on its own page, and has a second tab of it open to claim from.
        jordan_reading = jordan_ctx.new_page()
        jordan_reading.goto(f"{base}/cases/{case_id}/")
        jordan_reading.wait_for_selector("body[data-case-socket=open]")
        jordan_case = jordan_ctx.new_page()
        jordan_case.goto(f"{base}/cases/{case_id}/")
        # Jordan and Casey click at the same moment; Jordan's request reaches the console second.
        held: list[Any] = []
        jordan_case.route("**/cases/*/claim", lambda route: held.append(route))
        with jordan_case.expect_request("**/cases/*/claim"):
            jordan_case.click("form.claim-now button", no_wait_after=True)
        casey.click(f"{row} button.claim")
        casey.wait_for_url(f"{base}/cases/{case_id}/")
        assert "held by Casey" in casey.inner_text("[data-testid=case-status]")
        casey.screenshot(path=str(ARTIFACTS / "case-claimed.png"), full_page=True)

        # The row leaves Jordan's queue at once; the page Jordan was reading no longer shows
        # the conversation (only its holder and supervisors may read a claimed case) and says
        # who holds it...
        jordan.wait_for_selector(row, state="detached")
        assert jordan.is_visible("text=No one is waiting")
        jordan.screenshot(path=str(ARTIFACTS / "queue-after-claim.png"), full_page=True)
        jordan_reading.wait_for_selector("text=This case is not yours to open")
        assert "held by Casey" in jordan_reading.inner_text("main")
        assert jordan_reading.query_selector("#messages") is None
        jordan_reading.screenshot(path=str(ARTIFACTS / "case-taken-while-reading.png"))
        # ...and Jordan's own attempt is refused with the owner's name.
        assert len(held) == 1
        held[0].continue_()
        jordan_case.wait_for_selector("text=Already claimed by Casey.")
        jordan_case.screenshot(path=str(ARTIFACTS / "claim-refused.png"), full_page=True)
        assert violations == []
        browser.close()


def in_this_process(work: Callable[[], Any]) -> Any:
    """Run `work` with the test's own Django (not the daphne the browser uses), on a thread:
    Playwright's loop runs in the test's thread, and Django refuses database work beside a
    running event loop."""

    def run() -> Any:
        try:
            return work()
        finally:
            db.connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def post_in_this_process(p: Any) -> str:
    """A signed handoff, accepted by the test's own Django."""
    from django.test import Client

    from tests.support.factories import handoff_body, post_signed

    response = in_this_process(
        lambda: post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body())
    )
    assert response.status_code == 202, response.content
    return str(response.json()["id"])


def test_a_lost_update_is_healed_by_the_next_heartbeat(platform_factory, monkeypatch) -> None:
    """The push for a new case is numbered and then lost on the way (pub/sub delivers at most
    once). The dashboard's next heartbeat learns the newest number, and the fresh snapshot it
    asks for draws the case."""
    from playwright.sync_api import sync_playwright

    from handoff.realtime import broadcast

    chromium, p, database = casey_alone(platform_factory)

    with daphne(database_name=database) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        casey = browser.new_page(viewport={"width": 1400, "height": 900})
        sign_in(casey, base, "casey")
        assert casey.is_visible("text=No one is waiting")

        sent: list[object] = []
        monkeypatch.setattr(broadcast, "send_many", sent.append)  # numbered, never delivered
        case_id = post_in_this_process(p)
        assert sent, "the update was numbered and handed to the layer"
        row = f"#case-{case_id}"
        assert casey.query_selector(row) is None

        # Coming back to the tab sends a heartbeat at once (the timer would, within 20 s).
        casey.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        casey.wait_for_selector(row, timeout=15_000)
        assert casey.inner_text("[data-testid=count-high]") == "1"
        casey.screenshot(path=str(ARTIFACTS / "queue-healed-after-lost-update.png"), full_page=True)
        browser.close()


# Whether the counselor is looking at the tab, and whether the alert sound was played, as the
# page sees them: headless Chromium has no window to leave and no speaker.
ATTENTION_SHIM = """
window.__looking = false;
window.__played = 0;
Document.prototype.hasFocus = function () { return window.__looking; };
HTMLMediaElement.prototype.play = function () { window.__played += 1; return Promise.resolve(); };
"""


def test_an_urgent_case_alerts_until_looked_at_and_keys_move_open_and_claim(
    platform_factory,
) -> None:
    from playwright.sync_api import sync_playwright

    chromium, p, database = casey_alone(platform_factory)

    with daphne(database_name=database) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.add_init_script(ATTENTION_SHIM)
        casey = context.new_page()
        sign_in(casey, base, "casey")
        assert casey.title() == "Queue · Handoff Console"

        # Away from the tab: a high case sounds and puts itself in the title, an imminent one
        # after it too, and a low one does neither.
        high = post_handoff(base, p.slug, p.inbound_secret, "high")
        casey.wait_for_selector(f"#case-{high}")
        assert casey.title() == "(1) HIGH case waiting · Queue · Handoff Console"
        imminent = post_handoff(base, p.slug, p.inbound_secret, "imminent")
        casey.wait_for_selector(f"#case-{imminent}")
        assert casey.title() == "(2) IMMINENT case waiting · Queue · Handoff Console"
        low = post_handoff(base, p.slug, p.inbound_secret, "low")
        casey.wait_for_selector(f"#case-{low}")
        assert casey.evaluate("window.__played") == 2
        assert casey.title().startswith("(2) IMMINENT")
        assert "alerting" in (casey.get_attribute("body", "class") or "")

        # Coming back to the tab ends the alert.
        casey.evaluate("window.__looking = true; window.dispatchEvent(new Event('focus'))")
        assert casey.title() == "Queue · Handoff Console"
        assert "alerting" not in (casey.get_attribute("body", "class") or "")

        # The rows in claim order; j/k move the selection, o opens, c claims.
        ids = casey.eval_on_selector_all(
            "#queue-rows tr.case", "rows => rows.map(r => r.dataset.id)"
        )
        assert ids == [imminent, high, low]
        casey.keyboard.press("j")
        casey.keyboard.press("j")
        assert casey.get_attribute("tr.case.selected", "data-id") == high
        casey.keyboard.press("k")
        assert casey.get_attribute("tr.case.selected", "data-id") == imminent
        casey.screenshot(path=str(ARTIFACTS / "queue-keyboard-selection.png"), full_page=True)
        casey.keyboard.press("o")
        casey.wait_for_url(f"{base}/cases/{imminent}/")
        assert "Queued" in casey.inner_text("[data-testid=case-status]")

        casey.goto(f"{base}/")
        casey.wait_for_selector("#connection[data-state=live]")
        casey.keyboard.press("j")
        casey.keyboard.press("j")
        casey.keyboard.press("c")
        casey.wait_for_url(f"{base}/cases/{high}/")
        assert "held by Casey" in casey.inner_text("[data-testid=case-status]")
        browser.close()


def test_the_dashboard_reconnects_after_the_console_restarts_and_shows_what_it_missed(
    platform_factory,
) -> None:
    from playwright.sync_api import sync_playwright

    chromium, p, database = casey_alone(platform_factory)
    port = free_port()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        casey = browser.new_page(viewport={"width": 1400, "height": 900})
        with daphne(database_name=database, port=port) as base:
            sign_in(casey, base, "casey")
            assert casey.is_visible("text=No one is waiting")

        # The console is gone: the page says so instead of showing a queue as if it were live.
        casey.wait_for_selector("#connection[data-state=offline]")
        assert "may be out of date" in casey.inner_text("#connection")
        assert not casey.is_visible("text=No one is waiting")
        assert casey.is_visible("text=No one was waiting when the connection was lost")
        casey.screenshot(path=str(ARTIFACTS / "queue-connection-lost.png"), full_page=True)
        # Meanwhile a case arrives through another console process.
        case_id = post_in_this_process(p)

        with daphne(database_name=database, port=port):
            # Backoff brings the socket back by itself; its snapshot draws what was missed.
            casey.wait_for_selector(f"#case-{case_id}", timeout=60_000)
            assert casey.get_attribute("#connection", "data-state") == "live"
            assert casey.inner_text("[data-testid=count-high]") == "1"
            assert not casey.is_visible("#queue-empty")
        browser.close()


def test_a_case_moved_away_from_its_holder_leaves_their_open_page(platform_factory) -> None:
    """A supervisor hands Casey's case to Jordan while Casey has it open. With nothing typed,
    Casey's page stops showing the conversation and says who holds it now; with a note half
    written, the page keeps it and says it can no longer be saved."""
    from playwright.sync_api import sync_playwright

    from counselors.models import Role
    from handoff.queue.services import handoff_transfer
    from tests.support.staff import signed_in

    chromium = chromium_path()
    p = platform_factory()
    casey = make_staff("casey", display_name="Casey")
    jordan = make_staff("jordan", display_name="Jordan")
    sam = make_staff("sam", role=Role.SUPERVISOR, display_name="Sam")
    case_id = post_in_this_process(p)
    claimed = signed_in(casey).post(f"/cases/{case_id}/claim")
    assert claimed.status_code == 302
    database = connection.settings_dict["NAME"]

    def hand_to(user: Any) -> None:
        in_this_process(
            lambda: handoff_transfer(
                handoff_id=case_id, actor=sam, to=user, note="Casey is off shift"
            )
        )

    with daphne(database_name=database) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        sign_in(page, base, "casey")
        page.goto(f"{base}/cases/{case_id}/")
        page.wait_for_selector("body[data-case-socket=open]")
        assert page.query_selector("#messages") is not None

        hand_to(jordan)
        page.wait_for_selector("text=This case is not yours to open")
        assert "held by Jordan" in page.inner_text("main")
        assert page.query_selector("#messages") is None

        hand_to(casey)
        page.goto(f"{base}/cases/{case_id}/")
        page.wait_for_selector("body[data-case-socket=open]")
        page.wait_for_selector("body[data-workspace=ready]")
        page.keyboard.press("n")  # the notes open, the cursor in the new note
        page.keyboard.type("Said her sister is on the way; call back at 22:30")
        hand_to(jordan)
        page.wait_for_selector("text=This case is no longer yours")
        assert (
            page.input_value("#notes textarea")
            == "Said her sister is on the way; call back at 22:30"
        )
        page.screenshot(path=str(ARTIFACTS / "case-moved-away-with-a-note-typed.png"))
        browser.close()
