"""axe-core in Chromium: no serious or critical accessibility violation on the pages a counselor
works in during a crisis (the queue, a claimed case, the emergency call screen)."""

from pprint import pformat
from typing import Any

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
        page.get_by_label("Channel").select_option(label="Text message")
        page.get_by_label("Result").select_option(label="Left voicemail")
        page.click("button:has-text('Log attempt')")
        page.wait_for_selector("#attempts li:has-text('Left voicemail')")
        page.get_by_label("New note").fill("Texted; will try a call at 9")
        page.click("button:has-text('Add note')")
        page.wait_for_selector("#notes li:has-text('will try a call')")
        assert page.get_by_label("Message to the person").is_visible()
        check(page, "case", found)

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
