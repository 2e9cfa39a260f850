"""The case page as a counselor's workspace, in Debian's Chromium: each of the three paths
carried out with the keyboard alone, what the counselor is doing set in one key and seen on
the floor, drafts that survive a reload and the page refreshing itself, the theme following
the system and the person's choice, and a muted alert that stays silent while the title
still calls."""

from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection

from counselors.models import AlertSound, Role, User
from handoff.models import EmergencyCenter, EmergencyCenterPostalCode
from tests.e2e.test_accessibility import summarize
from tests.e2e.test_browser_queue import (
    ARTIFACTS,
    ATTENTION_SHIM,
    CHROMIUM_ARGS,
    chromium_path,
    csp_violations,
    in_this_process,
    post_handoff,
    sign_in,
)
from tests.support.servers import daphne
from tests.support.staff import make_staff

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT: "ViewportSize" = {"width": 1280, "height": 720}


def tab_to(page: Any, selector: str, *, limit: int = 60) -> None:
    """Press Tab until the focus is on `selector`, as a person moving through the page would."""
    for _ in range(limit):
        if page.evaluate("(s) => !!document.activeElement?.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"Tab never reached {selector}")


def ready(page: Any) -> None:
    """The case page's keys, focus and drafts are in place (workspace.js says so on <body>)."""
    page.wait_for_selector("body[data-workspace=ready]")


def focused(page: Any) -> str:
    """What has the focus: its id, else its tag and text."""
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return e.id || (e.tagName + ':' + (e.textContent || '').trim().slice(0, 40)); }"
    )


def claim_by_keyboard(page: Any, base: str, case_id: str) -> None:
    """From the queue: j moves to the case, c claims it (the dashboard's own keys)."""
    page.goto(f"{base}/")
    page.wait_for_selector(f"#case-{case_id}")
    ids = page.eval_on_selector_all("#queue-rows tr.case", "rows => rows.map(r => r.dataset.id)")
    for _ in range(ids.index(case_id) + 1):
        page.keyboard.press("j")
    assert page.get_attribute("tr.case.selected", "data-id") == case_id
    page.keyboard.press("c")
    page.wait_for_url(f"{base}/cases/{case_id}/")
    page.wait_for_selector("body[data-case-socket=open]")
    ready(page)


def directory_center() -> None:
    center = EmergencyCenter.objects.create(
        psap_id="9001",
        name="Franklin County Emergency Communications",
        state="OH",
        county="Franklin",
        emergency_line="6145550100",
    )
    EmergencyCenterPostalCode.objects.create(center=center, postal_code="43215")


def test_each_path_start_to_finish_with_the_keyboard_alone(platform_factory) -> None:
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    p = platform_factory()
    make_staff("casey", display_name="Casey")
    make_staff("morgan", role=Role.SUPERVISOR, display_name="Morgan")
    directory_center()
    database = connection.settings_dict["NAME"]

    with daphne(database_name=database) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        violations = csp_violations(page)
        sign_in(page, base, "casey")
        floor = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        sign_in(floor, base, "morgan")
        floor.goto(f"{base}/floor/")
        floor.wait_for_selector("#connection[data-state=live]")

        # --- De-escalation --------------------------------------------------------------------
        first = post_handoff(base, p.slug, p.inbound_secret, "moderate")
        claim_by_keyboard(page, base, first)
        # The page opens with every path closed; ? lists the keys, Escape closes the list.
        assert page.evaluate("[...document.querySelectorAll('details.path')].every(d => !d.open)")
        page.keyboard.press("?")
        assert page.is_visible("#shortcuts")
        assert "De-escalate" in page.inner_text("#shortcuts")
        page.keyboard.press("Escape")
        assert not page.is_visible("#shortcuts")

        # One key says "on the phone": recorded, and seen live on the floor.
        page.keyboard.press("p")
        page.wait_for_selector("[data-testid=contact-status][data-status=on_phone]")
        ready(page)
        assert focused(page).startswith("BUTTON:On the phone")
        floor.wait_for_selector(
            f"#floor-case-{first} [data-testid=floor-contact-status]:has-text('On the phone')"
        )

        page.keyboard.press("d")
        assert focused(page) == "id_what_helped"
        # Typed words with the path keys in them stay words: no key acts while typing.
        page.keyboard.type("Talked through the evening; her sister is coming; meds handed over")
        assert page.evaluate("document.getElementById('deescalate').open")
        assert not page.evaluate("document.getElementById('mobile-crisis').open")
        tab_to(page, "#id_follow_up_at")  # a follow-up is optional: left empty
        tab_to(page, "details.f-plan > summary")
        page.keyboard.press("Enter")  # open the safety plan
        page.keyboard.press("Tab")
        assert focused(page) == "id_plan_warning_signs"
        page.keyboard.type("Not sleeping, giving things away")
        page.keyboard.press("Control+Enter")
        page.wait_for_selector("[data-testid=outcome]:has-text('De-escalated')")
        assert "Not sleeping" in page.inner_text("main")

        # --- Mobile crisis team ---------------------------------------------------------------
        second = post_handoff(base, p.slug, p.inbound_secret, "high")
        claim_by_keyboard(page, base, second)
        page.keyboard.press("m")
        assert focused(page) == "team"
        page.keyboard.press("Tab")
        assert focused(page) == "id_team_name"
        page.keyboard.type("Franklin County Mobile Crisis")
        assert page.input_value("#id_requested_at")  # starts at now
        tab_to(page, "#id_reference")
        page.keyboard.type("MCT-77")
        page.keyboard.press("Control+Enter")
        page.wait_for_url(f"{base}/cases/{second}/#mobile-crisis")
        ready(page)
        # Back at the path it was sent from, open, with the team's news next.
        assert page.evaluate("document.getElementById('mobile-crisis').open")
        assert "Franklin County Mobile Crisis" in page.inner_text("#mobile-crisis")
        tab_to(page, "#mobile-crisis select[name=status]")
        page.keyboard.type("Comp")  # the select's own type-ahead: Completed
        assert page.input_value("#mobile-crisis select[name=status]") == "completed"
        tab_to(page, "#mobile-crisis textarea[name=result]")
        page.keyboard.type("Team assessed on scene; stays with family tonight")
        page.keyboard.press("Control+Enter")
        page.wait_for_selector("[data-testid=outcome]:has-text('Mobile crisis team')")

        # --- Emergency call -------------------------------------------------------------------
        third = post_handoff(base, p.slug, p.inbound_secret, "imminent")
        claim_by_keyboard(page, base, third)
        page.keyboard.press("e")
        assert focused(page).startswith("A:Open the emergency call screen")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/cases/{third}/emergency")
        assert "Franklin County" in page.inner_text("[data-testid=center]")
        tab_to(page, "#id_call_taker")
        page.keyboard.type("Dispatcher 12")
        page.keyboard.press("Tab")
        page.keyboard.type("F-2026-001")
        page.keyboard.press("Tab")
        page.keyboard.type("Address, callback number, pills taken")
        tab_to(page, "input[name=person_consented][value=yes]")
        page.keyboard.press("Space")
        tab_to(page, "button[type=submit].primary")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/cases/{third}/#emergency")
        ready(page)
        assert "Awaiting confirmation" in page.inner_text("[data-testid=case-status]")
        assert page.evaluate("document.getElementById('emergency').open")
        tab_to(page, "input[name=contact_confirmed][value=yes]")
        page.keyboard.press("Space")
        page.keyboard.press("Control+Enter")
        page.wait_for_selector("[data-testid=outcome]:has-text('Emergency call (911)')")

        assert violations == []
        browser.close()


def test_a_draft_survives_a_reload_and_the_page_refreshing_itself_and_goes_once_sent(
    platform_factory,
) -> None:
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    p = platform_factory()
    make_staff("casey", display_name="Casey")
    database = connection.settings_dict["NAME"]

    with daphne(database_name=database) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        urls: list[str] = []
        page.on("request", lambda r: urls.append(r.url + (r.post_data or "")))
        sign_in(page, base, "casey")
        case_id = post_handoff(base, p.slug, p.inbound_secret, "high")
        claim_by_keyboard(page, base, case_id)
        case_url = f"{base}/cases/{case_id}/"

        page.keyboard.press("n")
        assert focused(page) == "id_text" and page.evaluate(
            "document.activeElement.closest('#notes')"
        )
        page.keyboard.type("Half a thought about her sister")
        page.keyboard.press("r")  # typed, not a shortcut
        page.keyboard.press("Escape")  # leaves the field; the words stay
        page.keyboard.press("r")  # now the key: write to the person
        page.keyboard.type("Are you somewhere safe right now")
        page.keyboard.press("Escape")
        page.keyboard.press("d")  # the closing form, half filled
        page.keyboard.type("Breathing together")

        page.reload()
        page.wait_for_selector("body[data-case-socket=open]")
        ready(page)
        assert page.input_value("#notes textarea") == "Half a thought about her sisterr"
        assert page.input_value("#relay textarea") == "Are you somewhere safe right now"
        assert page.input_value("#id_what_helped") == "Breathing together"
        # The path that was open in this tab opens again, and says it holds a draft.
        assert page.evaluate("document.getElementById('deescalate').open")
        assert "draft kept" in page.inner_text("#deescalate summary")

        # The page refreshing its own live parts (another tab sets the status) keeps them too.
        other = context.new_page()
        other.goto(case_url)
        other.wait_for_selector("body[data-case-socket=open]")
        other.keyboard.press("t")
        page.wait_for_selector("[data-testid=contact-status][data-status=texting]")
        assert page.input_value("#notes textarea") == "Half a thought about her sisterr"

        # Sent, the draft is gone; the others stay.
        page.focus("#notes textarea")
        page.keyboard.press("Control+Enter")
        page.wait_for_selector("#notes li:has-text('Half a thought')")
        ready(page)
        assert focused(page).startswith("SUMMARY:Notes")
        page.reload()
        page.wait_for_selector("body[data-case-socket=open]")
        ready(page)
        assert page.input_value("#notes textarea") == ""
        assert page.input_value("#relay textarea") == "Are you somewhere safe right now"
        kept = page.evaluate(
            "Object.keys(localStorage).filter(k => k.startsWith('console.draft.'))"
        )
        assert sorted(kept) == sorted(
            [f"console.draft.{case_id}.relay", f"console.draft.{case_id}.close"]
        )
        # Never in a URL; the note went to the server once, when it was sent.
        assert not any("Are you somewhere" in u for u in urls)
        assert sum("Half+a+thought" in u for u in urls) == 1

        # Signing out forgets every draft in this browser.
        page.click("button:has-text('Sign out')")
        page.wait_for_url("**/accounts/login/**")
        assert (
            page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('console.draft.'))")
            == []
        )
        browser.close()


def _background(page: Any) -> str:
    return str(page.evaluate("getComputedStyle(document.body).backgroundColor"))


LIGHT_BG = "rgb(244, 246, 248)"
DARK_BG = "rgb(17, 22, 28)"


def test_the_theme_follows_the_system_unless_the_person_chose(platform_factory) -> None:
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    p = platform_factory()
    make_staff("casey", display_name="Casey")
    database = connection.settings_dict["NAME"]

    with daphne(database_name=database) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT, color_scheme="dark")
        page = context.new_page()
        sign_in(page, base, "casey")
        case_id = post_handoff(base, p.slug, p.inbound_secret, "imminent")
        summarize(case_id)
        claim_by_keyboard(page, base, case_id)
        case_url = page.url

        assert _background(page) == DARK_BG
        page.screenshot(path=str(ARTIFACTS / "workspace-dark-1280x720.png"))
        page.emulate_media(color_scheme="light")
        assert _background(page) == LIGHT_BG
        page.screenshot(path=str(ARTIFACTS / "workspace-light-1280x720.png"))

        # The person chooses dark on their account page, by keyboard: it holds in a light system.
        page.goto(f"{base}/account/")
        # Into the group at its checked choice (as the system), then the arrows choose.
        tab_to(page, "input[name=theme]:checked")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        assert page.is_checked("input[name=theme][value=dark]")
        tab_to(page, "form.preferences button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/account/#preferences")
        page.goto(case_url)
        assert page.get_attribute("html", "data-theme") == "dark"
        assert _background(page) == DARK_BG
        # Drawn from the first byte: the page's own HTML carries it, before any script or style.
        html = page.evaluate("fetch(location.href).then(r => r.text())")
        assert '<html lang="en" data-theme="dark">' in html
        in_this_process(lambda: User.objects.filter(username="casey").update(theme="light"))
        page.emulate_media(color_scheme="dark")
        page.reload()
        assert _background(page) == LIGHT_BG
        browser.close()


def test_a_muted_alert_stays_silent_while_the_title_still_calls(platform_factory) -> None:
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    p = platform_factory()
    make_staff("casey", display_name="Casey")
    make_staff("jordan", display_name="Jordan")
    in_this_process(
        lambda: User.objects.filter(username="casey").update(alert_sound=AlertSound.MUTED)
    )
    in_this_process(
        lambda: User.objects.filter(username="jordan").update(alert_sound=AlertSound.QUIET)
    )
    database = connection.settings_dict["NAME"]

    with daphne(database_name=database) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        pages = {}
        for name in ("casey", "jordan"):
            context = browser.new_context(viewport=VIEWPORT)
            context.add_init_script(ATTENTION_SHIM)
            # The volume the sound was asked to play at.
            context.add_init_script(
                "window.__volumes = [];"
                "const play = HTMLMediaElement.prototype.play;"
                "HTMLMediaElement.prototype.play = function () {"
                " window.__volumes.push(this.volume); return play.call(this); };"
            )
            pages[name] = context.new_page()
            sign_in(pages[name], base, name)
        case_id = post_handoff(base, p.slug, p.inbound_secret, "imminent")
        for page in pages.values():
            page.wait_for_selector(f"#case-{case_id}")
            assert page.title().startswith("(1) IMMINENT case waiting")
            assert "alerting" in (page.get_attribute("body", "class") or "")
        assert pages["casey"].evaluate("window.__played") == 0  # muted: silent
        assert pages["jordan"].evaluate("window.__volumes") == [0.25]  # quiet: a quarter
        browser.close()
