"""The report in Debian's Chromium: charts drawn, their numbers readable, no serious axe finding."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from counselors.models import Role
from handoff.models import Handoff, Outcome, Status, Tier, TierSource
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

T = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def test_the_report_draws_its_charts_with_tables_and_passes_axe(platform_factory: Any) -> None:
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    platforms = [platform_factory(), platform_factory()]
    for p, name in zip(platforms, ("Alpha Chat", "Beta Assist"), strict=True):
        p.platform.name = name
        p.platform.save(update_fields=["name"])
    make_staff("sam", role=Role.SUPERVISOR, display_name="Sam")
    ana = make_staff("ana", display_name="Ana")
    database = connection.settings_dict["NAME"]
    outcomes = list(Outcome)

    # The cases are written before Playwright starts: its event loop forbids the ORM.
    with daphne(database_name=database) as base:
        for i in range(12):
            p = platforms[i % 2]
            level = list(Tier)[i % 4]
            case_id = post_handoff(base, p.slug, p.inbound_secret, level)
            received = T + timedelta(hours=i)
            fields: dict[str, Any] = {"received_at": received, "queued_at": received}
            if i % 5 != 4:
                fields |= {
                    "status": Status.CLOSED,
                    "claimed_by": ana,
                    "claimed_at": received + timedelta(seconds=20 + 30 * i),
                    "closed_at": received + timedelta(minutes=20 + i),
                    "outcome": outcomes[i % len(outcomes)],
                    "tier": list(Tier)[(i + 1) % 4],
                    "tier_source": TierSource.COUNSELOR,
                    "risk_score": i / 12,
                }
            Handoff.objects.filter(pk=case_id).update(**fields)
        with sync_playwright() as pw:
            _look(pw, chromium, base)


def _look(pw: Any, chromium: str, base: str) -> None:
    """Sam, a supervisor, reads the report and then asks for a period that ends before it starts."""
    browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused = csp_violations(page)
    sign_in(page, base, "sam")
    page.goto(f"{base}/reports/?from=2025-03-10&to=2025-03-12")
    page.wait_for_selector("#chart-volume svg")
    page.screenshot(path=str(ARTIFACTS / "reports.png"), full_page=True)
    # Every chart has bars, and beside it the same numbers as a table.
    for chart in ("chart-volume", "chart-claim", "chart-target", "chart-outcomes"):
        assert page.locator(f"#{chart} svg rect").count() > 0
        assert page.locator(f"#{chart} table th[scope=row]").count() > 0
    total = page.locator('tr[data-platform="all"]')
    assert total.locator("td").first.inner_text() == "12"
    assert page.locator("svg").count() >= 6  # four charts and one per platform's bands
    found = axe_violations(page)
    assert found == [], found

    # Keyboard: the period form is reachable and submits; a bad period says why.
    page.fill("#id_from", "2025-03-12")
    page.fill("#id_to", "2025-03-10")
    page.focus("#id_to")
    page.keyboard.press("Enter")
    page.wait_for_selector("#to-error")
    assert "comes before its start" in page.inner_text("#to-error")
    page.screenshot(path=str(ARTIFACTS / "reports-bad-period.png"), full_page=True)
    assert axe_violations(page) == []
    assert refused == []
    browser.close()
