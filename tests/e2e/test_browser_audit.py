"""The audit trail in Debian's Chromium: a supervisor filters it with the keyboard-reachable form,
opens a case's history on its page, and axe finds nothing serious on either."""

from typing import Any

import pytest
from django.db import connection

from counselors.models import Role
from handoff.dispositions.services import note_add
from handoff.queue.services import handoff_claim
from tests.e2e.test_browser_queue import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    chromium_path,
    csp_violations,
    post_handoff,
    sign_in,
)
from tests.support.axe import axe_violations
from tests.support.servers import daphne
from tests.support.staff import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_supervisor_reads_and_filters_the_trail(platform_factory: Any) -> None:
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    p = platform_factory()
    make_staff("sam", role=Role.SUPERVISOR, display_name="Sam")
    casey = make_staff("casey", display_name="Casey")
    database = connection.settings_dict["NAME"]

    # The log is written before Playwright starts: its event loop forbids the ORM.
    with daphne(database_name=database) as base:
        cases = [post_handoff(base, p.slug, p.inbound_secret, lvl) for lvl in ("high", "low")]
        handoff_claim(handoff_id=cases[0], counselor=casey)
        note_add(handoff_id=cases[0], author=casey, text="Called back; safe for tonight.")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            refused = csp_violations(page)
            sign_in(page, base, "sam")
            page.click("nav.who >> text=Audit")
            page.wait_for_selector("[data-testid=audit-row]")
            # Sam's own read is the newest line.
            first = page.locator("[data-testid=audit-row]").first
            assert first.get_attribute("data-kind") == "audit_read"
            assert "Sam" in first.inner_text()
            page.screenshot(path=str(ARTIFACTS / "audit.png"), full_page=True)
            found = axe_violations(page)
            assert found == [], found

            # Filter by person and kind, by their labels, as a screen reader user would.
            page.get_by_label("Person").select_option(label="Casey")
            page.get_by_label("Kind").select_option(label="Note added")
            page.get_by_role("button", name="Show").click()
            page.wait_for_url("**/audit/?*kind=note_added*")
            kinds = page.locator("[data-testid=audit-row]").evaluate_all(
                "rows => rows.map(r => r.dataset.kind)"
            )
            assert kinds == ["note_added"]
            assert "Casey" in page.inner_text("[data-testid=audit-row]")
            page.screenshot(path=str(ARTIFACTS / "audit-filtered.png"), full_page=True)
            assert axe_violations(page) == []

            # The case's own history, on its page.
            page.locator("[data-testid=audit-row] a.case-id").first.click()
            page.wait_for_url(f"{base}/cases/{cases[0]}/")
            page.click("#history summary")
            trace = page.locator("[data-testid=case-trace] [data-testid=audit-row]")
            assert trace.first.get_attribute("data-kind") == "received"
            assert trace.count() >= 4  # received, summary or not, claimed, note, viewed
            page.locator("#history").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "audit-case-history.png"), full_page=True)
            assert axe_violations(page) == []
            assert refused == []
            browser.close()
