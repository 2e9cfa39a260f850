"""Django's admin works under the console's strict Content Security Policy, in Chromium against a
real daphne: its pages load and its scripts run (the "add another" row of an inline, the select-all
box of a list, the date shortcuts) with nothing refused."""

import pytest

from counselors.models import Role
from tests.e2e.test_browser_queue import CHROMIUM_ARGS, chromium_path, csp_violations, sign_in
from tests.support.servers import daphne
from tests.support.staff import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_admin_runs_under_the_strict_policy(platform_factory) -> None:
    from django.db import connection
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    p = platform_factory()
    admin_user = make_staff("root", role=Role.ADMIN)
    database = connection.settings_dict["NAME"]

    with daphne(database_name=database) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        refused = csp_violations(page)
        # The admin has no sign-in of its own: the console's, with the code, then the admin.
        sign_in(page, base, "root")
        page.goto(f"{base}/admin/")
        page.wait_for_selector("#site-name")

        # An inline's "add another" link is drawn by the admin's script, and adds a row.
        page.goto(f"{base}/admin/handoff/emergencycenter/add/")
        rows = "tr.form-row.dynamic-postal_codes"
        before = page.locator(rows).count()
        page.click(".add-row a")
        assert page.locator(rows).count() == before + 1

        # A list's select-all box, drawn and wired by the admin's script.
        page.goto(f"{base}/admin/counselors/user/")
        page.check("#action-toggle")
        assert page.is_checked("input.action-select")

        # A change form with date and time shortcuts ("Today", "Now"), also drawn by script.
        page.goto(f"{base}/admin/counselors/user/{admin_user.pk}/change/")
        page.wait_for_selector(".datetimeshortcuts")

        for path in ("/admin/", f"/admin/handoff/platform/{p.platform.pk}/change/"):
            response = page.goto(f"{base}{path}")
            assert response is not None
            policy = response.headers["content-security-policy"]
            assert "script-src 'self'" in policy and "unsafe" not in policy, policy
            page.wait_for_selector("#content")
        browser.close()
    assert not refused, refused
