"""The dashboard page, sign-in, the case page's access rules, aging."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from counselors.models import Role
from handoff.models import EventKind, Handoff, HandoffEvent, TierSource
from handoff.queue import floor, notify
from handoff.queue.services import queue_age
from handoff.realtime import broadcast
from tests.support.factories import handoff_body, post_signed
from tests.support.staff import PASSWORD, code_for, make_staff, signed_in

pytestmark = pytest.mark.django_db


def test_nothing_is_visible_before_sign_in(client: Client, platform_factory) -> None:
    p = platform_factory()
    case_id = post_signed(client, p.url(), secret=p.inbound_secret, body=handoff_body()).json()[
        "id"
    ]
    for url in ("/", f"/cases/{case_id}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert client.post(f"/cases/{case_id}/claim").status_code == 302


def test_sign_in_and_out(client: Client) -> None:
    casey = make_staff("casey", display_name="Casey")
    bad = client.post("/accounts/login/", {"username": "casey", "password": "wrong"})
    assert "do not match" in bad.content.decode()
    response = client.post(
        "/accounts/login/",
        {"username": "casey", "password": PASSWORD, "otp_token": code_for(casey)},
    )
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200 and "Casey" in page.content.decode()
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_dashboard_orders_by_tier_then_wait_and_says_when_empty(platform_factory) -> None:
    casey = make_staff("casey")
    page = signed_in(casey).get("/").content.decode()
    assert "No one is waiting" in page
    p = platform_factory()
    ids = {}
    for level in ("low", "imminent", "moderate", "high"):
        ids[level] = post_signed(
            Client(), p.url(), secret=p.inbound_secret, body=handoff_body(risk={"level": level})
        ).json()["id"]
    page = signed_in(casey).get("/").content.decode()
    positions = [
        page.index(f'id="case-{ids[level]}"') for level in ("imminent", "high", "moderate", "low")
    ]
    assert positions == sorted(positions)
    assert "summary pending" in page
    assert 'data-testid="count-imminent">1<' in page
    # Personal data is not on the queue.
    assert "+16145550142" not in page and "Main St" not in page


def test_dashboard_query_count_does_not_grow_with_the_queue(
    platform_factory, django_assert_num_queries, settings
) -> None:
    settings.QUEUE_DISPLAY_LIMIT = 10
    p = platform_factory()
    casey = make_staff("casey")
    client = signed_in(casey)
    for _ in range(3):
        post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body())
    client.get("/")  # warm the session
    # Six for the queue, one for the navigation's count of follow-ups due, one for the device
    # that verified the session (django-otp).
    with django_assert_num_queries(8) as few:
        few_page = client.get("/")
    for _ in range(40):
        post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body())
    with django_assert_num_queries(8):
        many_page = client.get("/")
    assert few_page.status_code == many_page.status_code == 200
    assert many_page.content.decode().count('class="case tier-') == 10
    assert 'and <span class="n">33</span> more waiting' in many_page.content.decode()
    assert len(few.captured_queries) == 8


def test_a_row_is_drawn_again_when_anything_it_shows_changes(platform_factory) -> None:
    """Rows are rendered once and reused; a change the row shows is never hidden by that, even
    one that does not move the case's version (a summary arriving)."""
    from handoff.queue import render, selectors

    p = platform_factory()
    case_id = post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body()).json()[
        "id"
    ]
    client = signed_in(make_staff("casey"))

    def row() -> str:
        page = client.get("/").content.decode()
        start = page.index(f'id="case-{case_id}"')
        return page[start : page.index("</tr>", start)]

    first = row()
    assert row() == first and "summary pending" in first
    Handoff.objects.filter(pk=case_id).update(
        summary_status="ready", summary_headline="Wants to talk about the move"
    )
    assert "Wants to talk about the move" in row()
    Handoff.objects.filter(pk=case_id).update(summary_headline="Says the plan is tonight")
    assert "Says the plan is tonight" in row()
    Handoff.objects.filter(pk=case_id).update(language="es")
    assert ">ES<" in row()
    # The wait written in the row is part of what is reused only while it reads the same.
    earlier = timezone.now() - timedelta(hours=2)
    Handoff.objects.filter(pk=case_id).update(queued_at=earlier)
    assert "2\xa0hours" in row()
    case = selectors.queue_for()[0]
    assert render.row_html(case) == render.row_html(case)


def test_case_page_access(platform_factory) -> None:
    p = platform_factory()
    case_id = post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body()).json()[
        "id"
    ]
    casey, jordan = make_staff("casey", display_name="Casey"), make_staff("jordan")
    morgan = make_staff("morgan", role=Role.SUPERVISOR)
    # Before a claim any counselor may read it.
    assert signed_in(jordan).get(f"/cases/{case_id}/").status_code == 200
    signed_in(casey).post(f"/cases/{case_id}/claim")
    page = signed_in(casey).get(f"/cases/{case_id}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "I do not want to be here tomorrow." in body
    assert "Release to the queue" in body
    refused = signed_in(jordan).get(f"/cases/{case_id}/")
    assert (
        refused.status_code == 403 and "held by <strong>Casey</strong>" in refused.content.decode()
    )
    assert signed_in(morgan).get(f"/cases/{case_id}/").status_code == 200
    viewers = HandoffEvent.objects.filter(handoff_id=case_id, kind=EventKind.VIEWED)
    assert set(viewers.values_list("actor__username", flat=True)) == {"jordan", "casey", "morgan"}


def test_aging_flags_once_and_moves_up_one_tier(platform_factory, settings) -> None:
    p = platform_factory()
    moderate = post_signed(
        Client(), p.url(), secret=p.inbound_secret, body=handoff_body(risk={"level": "moderate"})
    ).json()["id"]
    fresh = post_signed(
        Client(), p.url(), secret=p.inbound_secret, body=handoff_body(risk={"level": "moderate"})
    ).json()["id"]
    Handoff.objects.filter(pk=moderate).update(
        queued_at=timezone.now() - timedelta(seconds=settings.QUEUE_TARGET_SECONDS["moderate"] + 1)
    )
    assert queue_age() == 1
    aged = Handoff.objects.get(pk=moderate)
    assert aged.tier == "high" and aged.breached_at is not None
    assert aged.tier_source == TierSource.AGING
    assert Handoff.objects.get(pk=fresh).tier == "moderate"
    # Once: even though it is now also past the high target, it is not moved again.
    Handoff.objects.filter(pk=moderate).update(queued_at=timezone.now() - timedelta(hours=1))
    assert queue_age() == 0
    assert Handoff.objects.get(pk=moderate).tier == "high"
    assert (
        HandoffEvent.objects.filter(handoff_id=moderate, kind=EventKind.TARGET_BREACHED).count()
        == 1
    )
    page = signed_in(make_staff("casey")).get("/").content.decode()
    assert "target missed" in page


def test_aging_many_cases_tells_dashboards_and_the_floor_once(
    platform_factory, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    """A run that flags many cases costs one read, one count and one floor redraw, not one of
    each per case (which starved the callbacks sharing the worker)."""
    settings.QUEUE_TARGET_SECONDS = {t: 0 for t in settings.QUEUE_TARGET_SECONDS}
    p = platform_factory()
    ids = {
        post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body()).json()["id"]
        for _ in range(6)
    }
    sends: list[list[tuple[str, dict]]] = []
    drawn: list[bool] = []

    def floor_payload(*, sound: bool = False) -> dict[str, str]:
        drawn.append(sound)
        return {}

    monkeypatch.setattr(broadcast, "send_many", sends.append)
    monkeypatch.setattr(broadcast, "send", lambda group, message: None)
    monkeypatch.setattr(notify, "floor_watched", lambda: True)
    monkeypatch.setattr(floor, "floor_payload", floor_payload)

    with django_capture_on_commit_callbacks(execute=True):
        assert queue_age() == 6
    assert len(sends) == 1
    updates = [m for _, m in sends[0] if m["type"] == "queue.update"]
    assert {m["handoff_id"] for m in updates} == ids
    assert sum(1 for _, m in sends[0] if m["type"] == "queue.alert") == 6
    assert drawn == [False]
    assert all(h.breached_at for h in Handoff.objects.filter(pk__in=ids))
