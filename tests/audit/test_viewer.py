"""`/audit/` and a case's history: supervisors and admins read who did and viewed what, filtered
by person, case, kind and period; counselors are refused; every read is itself recorded."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from counselors.models import Role
from handoff.chain import CONSOLE_CHAIN
from handoff.events import event_record, events_record
from handoff.models import EventKind, HandoffEvent
from tests.cases.conftest import CaseWorld
from tests.support.factories import handoff_body, post_signed
from tests.support.staff import make_staff, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(platform_factory: Any) -> CaseWorld:
    return CaseWorld(platform_factory)


def page(client: Client, query: str = "") -> str:
    response = client.get(f"/audit/{query}")
    assert response.status_code == 200
    return response.content.decode()


def rows(html: str) -> list[str]:
    """The kinds of the rows shown, in order."""
    return re.findall(r'data-testid="audit-row" data-event="\d+" data-kind="([a-z_]+)"', html)


def test_supervisors_and_admins_read_the_trail_and_each_read_is_recorded(world: CaseWorld) -> None:
    admin = make_staff("alex", role=Role.ADMIN)
    for reader in (world.supervisor, admin):
        html = page(signed_in(reader))
        # Their own read, recorded before the page was drawn, is the newest line.
        assert rows(html)[0] == "audit_read"
        assert f"<td>{reader}</td>\n      <td>Audit read</td>" in html
    reads = HandoffEvent.objects.filter(handoff_id=CONSOLE_CHAIN, kind=EventKind.AUDIT_READ)
    assert [e.actor for e in reads.order_by("seq")] == [world.supervisor, admin]
    person = world.counselor.pk
    signed_in(world.supervisor).get(f"/audit/?person={person}&kind=claimed&page=2")
    last = reads.order_by("-seq").first()
    assert last is not None
    assert last.data == {"filters": {"person": person, "kind": "claimed"}, "page": 2}


def test_counselors_are_refused_and_the_attempt_recorded(world: CaseWorld) -> None:
    response = world.client.get("/audit/")
    assert response.status_code == 403
    assert "The audit trail is for supervisors." in response.content.decode()
    refused = HandoffEvent.objects.get(handoff_id=CONSOLE_CHAIN, kind=EventKind.ACCESS_REFUSED)
    assert refused.actor == world.counselor and refused.data == {"door": "audit"}
    assert not HandoffEvent.objects.filter(kind=EventKind.AUDIT_READ).exists()
    # Nor is the link offered.
    assert 'href="/audit/"' not in world.client.get("/").content.decode()
    assert 'href="/audit/"' in signed_in(world.supervisor).get("/").content.decode()


def test_filters_by_person_case_kind_and_period(world: CaseWorld) -> None:
    supervisor = signed_in(world.supervisor)
    # A second case, which the counselor never touched.
    posted = post_signed(
        Client(), world.platform.url(), secret=world.platform.inbound_secret, body=handoff_body()
    )
    second_id = posted.json()["id"]

    mine = rows(page(supervisor, f"?person={world.counselor.pk}"))
    assert mine and set(mine) <= {"claimed", "viewed", "viewed_personal"}
    assert "claimed" in mine
    of_case = page(supervisor, f"?case={second_id}")
    assert rows(of_case) == ["received"]
    assert world.case_id not in of_case
    received = rows(page(supervisor, "?kind=received"))
    assert received == ["received", "received"]
    today = timezone.localdate()
    yesterday = (today - timedelta(days=1)).isoformat()
    period = "?kind=received&period_from={}&period_to={}"
    assert rows(page(supervisor, period.format(today, today))) == received
    assert rows(page(supervisor, period.format(yesterday, yesterday))) == []
    assert "No event matches." in page(supervisor, f"?kind=received&period_to={yesterday}")


def test_filters_that_do_not_parse_are_named_and_left_out(world: CaseWorld) -> None:
    html = page(
        signed_in(world.supervisor), "?case=12ab&kind=nonsense&period_from=2025-13-40&person=x"
    )
    assert 'data-testid="ignored"' in html
    for said in (
        "Case id: a case id is the whole id shown on the case page",
        "Kind: Select a valid choice.",
        "From: Enter a valid date.",
        "Person: Select a valid choice.",
    ):
        assert said in html, said
    assert rows(html)  # the whole trail, unfiltered
    later = page(signed_in(world.supervisor), "?period_from=2025-03-12&period_to=2025-03-10")
    assert "Period: the start is after the end" in later


def test_pages_of_fifty_keep_the_filters(world: CaseWorld) -> None:
    case = world.handoff()
    events_record(
        [
            HandoffEvent(handoff_id=case.pk, platform_id=case.platform_id, kind=EventKind.VIEWED)
            for _ in range(60)
        ]
    )
    supervisor = signed_in(world.supervisor)
    first = page(supervisor, f"?case={case.pk}")
    assert len(rows(first)) == 50
    assert f"?case={case.pk}&amp;page=2" in first
    total = HandoffEvent.objects.filter(handoff_id=case.pk).count()
    assert len(rows(page(supervisor, f"?case={case.pk}&page=2"))) == total - 50
    assert f"{total} events" in first
    assert rows(page(supervisor, f"?case={case.pk}&page=999"))  # the last page, not an error


def test_event_fields_are_shown_as_text(world: CaseWorld) -> None:
    """What an event holds comes partly from outside (a platform's webhook-id): it is escaped,
    and hidden characters are shown as tokens."""
    event_record(
        handoff=world.handoff(),
        kind=EventKind.DUPLICATE_DELIVERY,
        data={"webhook_id": "<img src=x onerror=alert(1)>\u202e", "endpoint": "create"},
    )
    html = page(signed_in(world.supervisor), "?kind=duplicate_delivery")
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "\u202e" not in html and "RLO" in html
    assert "webhook_id:" in html and "endpoint:" in html


def test_a_case_page_shows_its_history_to_supervisors_only(world: CaseWorld) -> None:
    supervisor_view = signed_in(world.supervisor).get(world.url).content.decode()
    assert 'data-testid="case-trace"' in supervisor_view
    trace = supervisor_view[supervisor_view.index('data-testid="case-trace"') :]
    # Received from the platform, claimed by the counselor, viewed by the supervisor just now.
    assert rows(trace)[:2] == ["received", "summary_ready"]
    assert "claimed" in rows(trace) and rows(trace)[-1] in {"viewed", "viewed_personal"}
    assert f"{world.platform.platform.name} (platform)" in trace
    assert "Casey" in trace
    assert 'data-testid="case-trace"' not in world.client.get(world.url).content.decode()
