"""axe-core in Chromium on the review queue, the case history and the follow-ups: no serious or
critical violation, with rows on each page."""

from datetime import timedelta
from pprint import pformat
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from counselors.models import Role
from handoff.events import event_record
from handoff.models import EventKind, FollowUp, Handoff, Outcome, Status
from tests.e2e.test_browser_queue import ARTIFACTS, CHROMIUM_ARGS, chromium_path, sign_in
from tests.support.axe import axe_violations
from tests.support.factories import handoff_body, post_signed
from tests.support.staff import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviews_history_and_follow_ups_have_no_serious_violations(platform_factory) -> None:
    from playwright.sync_api import sync_playwright

    from tests.support.servers import daphne

    chromium = chromium_path()
    p = platform_factory()
    counselor = make_staff("casey", display_name="Casey")
    make_staff("morgan", role=Role.SUPERVISOR, display_name="Morgan")
    now = timezone.now()
    for outcome in (Outcome.MOBILE_CRISIS, Outcome.DEESCALATED):
        case_id = post_signed(
            Client(), p.url(), secret=p.inbound_secret, body=handoff_body()
        ).json()["id"]
        Handoff.objects.filter(pk=case_id).update(
            status=Status.CLOSED, outcome=outcome, closed_at=now, claimed_by=counselor
        )
        # The event the closing service records, which is what queues a case for review.
        event_record(handoff=Handoff.objects.get(pk=case_id), kind=EventKind.CLOSED)
    FollowUp.objects.create(
        handoff_id=case_id, counselor=counselor, due_at=now - timedelta(hours=1)
    )
    database = connection.settings_dict["NAME"]

    with daphne(database_name=database) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
        page = context.new_page()
        sign_in(page, base, "morgan")
        found: dict[str, list[dict[str, Any]]] = {}
        for name, path, row in (
            ("reviews", "/reviews/", "review-row"),
            ("history", "/cases/?tier=nope", "history-row"),
            ("follow-ups", "/follow-ups/", "follow-up-row"),
        ):
            page.goto(base + path)
            page.wait_for_selector(f'[data-testid="{row}"]')
            page.screenshot(path=str(ARTIFACTS / f"a11y-{name}.png"), full_page=True)
            if violations := axe_violations(page):
                found[name] = violations
        browser.close()
    assert not found, pformat(found)
