"""The supervisors' floor in Debian's Chromium against a real daphne: a request for help rings
a floor whose tab is in the background, and a case moves on the floor as its counselor acts."""

from typing import Any

import pytest
from django.db import connection

from counselors.models import Role
from tests.e2e.test_browser_queue import (
    ARTIFACTS,
    ATTENTION_SHIM,
    CHROMIUM_ARGS,
    chromium_path,
    post_handoff,
    sign_in,
)
from tests.support.axe import axe_violations
from tests.support.servers import daphne
from tests.support.staff import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_help_rings_a_background_floor_and_a_case_moves_as_its_counselor_acts(
    platform_factory: Any,
) -> None:
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    p = platform_factory()
    make_staff("casey", display_name="Casey")
    make_staff("sam", role=Role.SUPERVISOR, display_name="Sam")
    database = connection.settings_dict["NAME"]
    ARTIFACTS.mkdir(exist_ok=True)

    with daphne(database_name=database) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        floor_ctx = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
        floor_ctx.add_init_script(ATTENTION_SHIM)
        sam = floor_ctx.new_page()
        sign_in(sam, base, "sam")
        sam.goto(f"{base}/floor/")
        sam.wait_for_selector("#connection[data-state=live]")
        assert sam.title() == "Floor · Handoff Console"

        casey_ctx = browser.new_context(viewport={"width": 1400, "height": 900})
        casey = casey_ctx.new_page()
        sign_in(casey, base, "casey")

        case_id = post_handoff(base, p.slug, p.inbound_secret, "high")
        row = f"#floor-case-{case_id}"
        sam.wait_for_selector(f"{row}[data-status=queued]")

        # Casey claims it: on the floor it is claimed, held by Casey.
        casey.wait_for_selector(f"#case-{case_id}")
        casey.click(f"#case-{case_id} button.claim")
        casey.wait_for_url(f"{base}/cases/{case_id}/")
        sam.wait_for_selector(f"{row}[data-status=claimed]")
        assert "Casey" in sam.inner_text(f"{row} .holder")

        # The floor's tab is in the background (not looked at): a help request rings and stays
        # in the title.
        played = sam.evaluate("window.__played")
        casey.fill("#help-text", "Talking about a plan, need a second opinion")
        casey.click("[data-testid=help-form] button[type=submit]")
        sam.wait_for_selector("li.help")
        assert sam.evaluate("window.__played") == played + 1
        assert sam.title() == "(1) HELP requested · Floor · Handoff Console"
        assert "Casey" in sam.inner_text("li.help")
        assert "second opinion" not in sam.inner_text("#floor")  # the line is on the case
        sam.screenshot(path=str(ARTIFACTS / "floor-help-requested.png"), full_page=True)

        serious = axe_violations(sam)
        assert serious == [], serious

        # Looking at the tab ends the alert in the title; answering opens the case.
        sam.evaluate("window.__looking = true; window.dispatchEvent(new Event('focus'))")
        assert sam.title() == "Floor · Handoff Console"
        sam.click("li.help button")
        sam.wait_for_url(f"{base}/cases/{case_id}/")
        browser.close()
