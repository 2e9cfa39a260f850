"""axe-core in Chromium: no serious or critical accessibility violation on the pages a counselor
works in during a crisis (the queue, a claimed case, the emergency call screen)."""

from pprint import pformat
from typing import TYPE_CHECKING, Any, Literal

import pytest
from django.db import connection

from handoff.models import EmergencyCenter, EmergencyCenterPostalCode, Handoff
from handoff.summary.services import summary_build
from tests.e2e.test_browser_queue import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    chromium_path,
    in_this_process,
    post_handoff,
    sign_in,
)
from tests.support.axe import axe_violations
from tests.support.servers import daphne
from tests.support.staff import make_staff

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def summarize(case_id: str) -> None:
    """The summary a worker would write (the test's daphne runs no worker)."""

    def build() -> None:
        handoff = Handoff.objects.get(pk=case_id)
        assert summary_build(handoff_id=case_id, transcript_version=handoff.transcript_version)

    in_this_process(build)


def check(page: Any, name: str, found: dict[str, list[dict[str, Any]]]) -> None:
    """Screenshot the page and keep what axe finds on it under `name`."""
    page.screenshot(path=str(ARTIFACTS / f"a11y-{name}.png"), full_page=True)
    if violations := axe_violations(page):
        found[name] = violations


def test_queue_case_and_emergency_screen_have_no_serious_violations(platform_factory) -> None:
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    p = platform_factory()
    make_staff("casey", display_name="Casey")
    center = EmergencyCenter.objects.create(
        psap_id="9001",
        name="Franklin County Emergency Communications",
        state="OH",
        county="Franklin",
        emergency_line="6145550100",
    )
    EmergencyCenterPostalCode.objects.create(center=center, postal_code="43215")
    database = connection.settings_dict["NAME"]

    with daphne(database_name=database) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        # The console's CSP refuses the injected axe script otherwise.
        context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
        page = context.new_page()
        sign_in(page, base, "casey")
        found: dict[str, list[dict[str, Any]]] = {}

        cases = [
            post_handoff(base, p.slug, p.inbound_secret, level)
            for level in ("imminent", "high", "low")
        ]
        summarize(cases[1])
        for case_id in cases:
            page.wait_for_selector(f"#case-{case_id}")
        check(page, "dashboard", found)
        page.keyboard.press("j")  # the row the keys act on is drawn apart
        page.wait_for_selector("tr.case.selected")
        check(page, "dashboard-selected-row", found)

        page.click(f"#case-{cases[1]} button.claim")
        page.wait_for_url(f"{base}/cases/{cases[1]}/")
        page.wait_for_selector("body[data-case-socket=open]")
        assert "held by Casey" in page.inner_text("[data-testid=case-status]")
        assert page.is_visible("[data-testid=summary-headline]")
        assert "+16145550142" in page.inner_text("[data-testid=contact]")
        assert "123 Main St" in page.inner_text("[data-testid=location]")
        # The fields are found by the names a screen reader announces.
        page.wait_for_selector("body[data-workspace=ready]")
        page.keyboard.press("c")  # the contact attempts open
        page.get_by_label("Channel").select_option(label="Text message")
        page.get_by_label("Result").select_option(label="Left voicemail")
        page.click("button:has-text('Log attempt')")
        page.wait_for_selector("#attempts li:has-text('Left voicemail')")
        page.wait_for_selector("body[data-workspace=ready]")
        page.keyboard.press("n")  # the notes open
        page.get_by_label("New note").fill("Texted; will try a call at 9")
        page.click("button:has-text('Add note')")
        page.wait_for_selector("#notes li:has-text('will try a call')")
        assert page.get_by_label("Message to the person").is_visible()
        page.wait_for_selector("body[data-workspace=ready]")
        check(page, "case", found)

        page.keyboard.press("e")  # the emergency path opens
        page.click("[data-testid=emergency-link]")
        page.wait_for_url(f"{base}/cases/{cases[1]}/emergency")
        assert "Franklin County" in page.inner_text("[data-testid=center]")
        check(page, "emergency", found)
        page.click("button:has-text('Record the call')")  # refused, field by field
        page.wait_for_selector(".errorlist")
        check(page, "emergency-refused", found)
        page.goto(f"{base}/")  # the case now under "My cases"
        page.wait_for_selector("#connection[data-state=live]")
        check(page, "dashboard-my-cases", found)
        browser.close()
    assert found == {}, pformat(found, width=100)


# Every page of the console, as the person who works in it sees it.
COUNSELOR_PAGES = ("/", "{case}", "{case}emergency", "/cases/", "/follow-ups/", "/account/")
SUPERVISOR_PAGES = (
    "/floor/",
    "/reviews/",
    "/reports/",
    "/audit/",
    "/staff/",
    "{closed}",
    "/cases/",
    "/account/",
)
SCHEMES: tuple[Literal["light"], Literal["dark"]] = ("light", "dark")
SCREEN: "ViewportSize" = {"width": 1280, "height": 720}


def measure(page: Any) -> dict[str, int]:
    return page.evaluate(
        "() => ({width: document.documentElement.scrollWidth, view: window.innerWidth,"
        " height: document.documentElement.scrollHeight})"
    )


def test_every_page_in_both_themes_passes_axe_and_fits_a_1280_by_720_screen(
    platform_factory,
) -> None:
    """axe on every page in light and in dark; no page wider than the window at 1280 x 720;
    the case page, as it opens (paths and sections closed), at most two screens tall."""
    from playwright.sync_api import sync_playwright

    from counselors.models import Role

    chromium = chromium_path()
    p = platform_factory()
    make_staff("casey", display_name="Casey")
    make_staff("morgan", role=Role.SUPERVISOR, display_name="Morgan")
    center = EmergencyCenter.objects.create(
        psap_id="9001", name="Franklin County 911", state="OH", emergency_line="6145550100"
    )
    EmergencyCenterPostalCode.objects.create(center=center, postal_code="43215")
    database = connection.settings_dict["NAME"]
    found: dict[str, list[dict[str, Any]]] = {}
    too_wide: dict[str, dict[str, int]] = {}

    with daphne(database_name=database) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        casey = browser.new_context(viewport=SCREEN, bypass_csp=True).new_page()
        sign_in(casey, base, "casey")
        case_id = post_handoff(base, p.slug, p.inbound_secret, "imminent")
        closed_id = post_handoff(base, p.slug, p.inbound_secret, "high")
        for c in (case_id, closed_id):
            summarize(c)
            casey.wait_for_selector(f"#case-{c}")
        casey.click(f"#case-{closed_id} button.claim")
        casey.wait_for_url(f"{base}/cases/{closed_id}/")
        casey.wait_for_selector("body[data-workspace=ready]")
        casey.keyboard.press("d")
        casey.get_by_label("What helped").fill("Talked it through")
        casey.keyboard.press("Control+Enter")
        casey.wait_for_selector("[data-testid=outcome]")
        casey.goto(f"{base}/")
        casey.click(f"#case-{case_id} button.claim")
        casey.wait_for_url(f"{base}/cases/{case_id}/")
        casey.wait_for_selector("body[data-workspace=ready]")

        # As it opens: every path and section closed, at most two screens tall.
        assert casey.evaluate("[...document.querySelectorAll('details')].every(d => !d.open)")
        size = measure(casey)
        assert size["height"] <= 2 * SCREEN["height"], size

        supervisor = browser.new_context(viewport=SCREEN, bypass_csp=True).new_page()
        sign_in(supervisor, base, "morgan")
        tours = [(casey, COUNSELOR_PAGES), (supervisor, SUPERVISOR_PAGES)]
        for page, paths in tours:
            for path in paths:
                url = base + path.format(case=f"/cases/{case_id}/", closed=f"/cases/{closed_id}/")
                page.goto(url)
                page.wait_for_load_state("load")
                for scheme in SCHEMES:
                    page.emulate_media(color_scheme=scheme)
                    name = f"{scheme}:{path}"
                    if violations := axe_violations(page):
                        found[name] = violations
                    size = measure(page)
                    if size["width"] > size["view"]:
                        too_wide[name] = size
        # The workspace's panels open, in both themes.
        casey.goto(f"{base}/cases/{case_id}/")
        casey.wait_for_selector("body[data-workspace=ready]")
        for key in ("d", "m", "e"):
            casey.keyboard.press("Escape")
            casey.keyboard.press(key)
            for scheme in SCHEMES:
                casey.emulate_media(color_scheme=scheme)
                if violations := axe_violations(casey):
                    found[f"{scheme}:case panel {key}"] = violations
        casey.keyboard.press("Escape")
        casey.keyboard.press("?")
        for scheme in SCHEMES:
            casey.emulate_media(color_scheme=scheme)
            if violations := axe_violations(casey):
                found[f"{scheme}:shortcuts"] = violations
            casey.screenshot(path=str(ARTIFACTS / f"a11y-shortcuts-{scheme}.png"))
        browser.close()
    assert found == {}, pformat(found, width=100)
    assert too_wide == {}, too_wide
