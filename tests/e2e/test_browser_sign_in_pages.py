"""The sign-in page, a person's own sign-in page and the staff page in Debian's Chromium: reached
with the keyboard, a supervisor ends a counselor's sessions from the staff page, and axe finds
nothing serious on any of them."""

from typing import Any

import pytest
from django.db import connection

from counselors.models import Role
from tests.e2e.test_browser_queue import ARTIFACTS, CHROMIUM_ARGS, chromium_path, sign_in
from tests.support.axe import axe_violations
from tests.support.servers import daphne
from tests.support.staff import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_account_and_staff_pages(platform_factory: Any) -> None:
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    make_staff("sam", role=Role.SUPERVISOR, display_name="Sam")
    make_staff("casey", display_name="Casey")
    database = connection.settings_dict["NAME"]

    with daphne(database_name=database) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        # axe is injected as a script: the page's own CSP is tested elsewhere.
        context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
        page = context.new_page()

        page.goto(f"{base}/accounts/login/")
        page.screenshot(path=str(ARTIFACTS / "sign-in.png"), full_page=True)
        assert axe_violations(page) == []
        # A wrong code is said on the page, and the page still passes.
        page.fill("#id_username", "sam")
        page.fill("#id_password", "not-the-password-at-all")
        page.fill("#id_otp_token", "000000")
        page.keyboard.press("Enter")
        page.wait_for_selector("p.error[role=alert]")
        assert axe_violations(page) == []

        sign_in(page, base, "sam")
        page.click("a.me")
        page.wait_for_selector("h1:has-text('Your sign-in')")
        page.screenshot(path=str(ARTIFACTS / "account.png"), full_page=True)
        assert axe_violations(page) == []

        page.goto(f"{base}/staff/")
        page.wait_for_selector("table.staff")
        page.screenshot(path=str(ARTIFACTS / "staff.png"), full_page=True)
        assert axe_violations(page) == []
        page.get_by_role("button", name="End sessions of Casey").click()
        page.wait_for_selector("table.staff")
        assert axe_violations(page) == []
        browser.close()
