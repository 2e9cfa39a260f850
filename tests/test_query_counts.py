"""The supervisors' pages and the case history read a fixed number of queries whatever the
number of cases: the same count with 10 cases as with 1,000. The cases go straight into the
tables (bulk_create): through the intake a thousand would take minutes."""

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from counselors.models import PresenceConnection, Role, User
from handoff.events import events_record
from handoff.models import (
    Alert,
    AlertKind,
    EmergencyCall,
    EventKind,
    Handoff,
    HandoffEvent,
    HelpRequest,
    Outcome,
    Platform,
    Status,
    Tier,
)
from handoff.queue.floor import FLOOR_CASE_LIMIT
from tests.support.staff import make_staff, signed_in

pytestmark = pytest.mark.django_db

SIZES = (10, 1000)
# What the pages may read at most, whatever the number of cases (the exact count is compared
# between the sizes; this catches a page that reads many queries at every size).
MOST = 15


class Floor:
    """Two platforms, two counselors and a supervisor signed in with live dashboards."""

    def __init__(self, platform_factory: Any) -> None:
        self.platforms = [platform_factory().platform, platform_factory().platform]
        self.counselors = [make_staff("casey"), make_staff("riley")]
        self.supervisor = make_staff("morgan", role=Role.SUPERVISOR)
        now = timezone.now()
        PresenceConnection.objects.bulk_create(
            PresenceConnection(user=u, channel_name=f"test.{u.username}", last_seen=now)
            for u in [*self.counselors, self.supervisor]
        )
        self.made = 0

    def add(self, n: int, make: Callable[[int, Platform, User], Handoff]) -> list[Handoff]:
        """n more cases, spread over the platforms and counselors."""
        rows = [
            make(i, self.platforms[i % 2], self.counselors[i % 2])
            for i in range(self.made, self.made + n)
        ]
        self.made += n
        return Handoff.objects.bulk_create(rows, batch_size=500)


def _case(i: int, platform: Platform, **fields: Any) -> Handoff:
    received = timezone.now() - timedelta(minutes=i % 600, seconds=i)
    values: dict[str, Any] = {
        "platform": platform,
        "external_id": f"bulk-{uuid.uuid4().hex}",
        "tier": list(Tier)[i % 4],
        "platform_level": list(Tier)[i % 4],
        "flagged_at": received,
        "received_at": received,
        "queued_at": received,
    }
    values.update(fields)
    return Handoff(**values)


def open_case(i: int, platform: Platform, counselor: User) -> Handoff:
    """Every open state: waiting, held, in contact, awaiting an emergency call's confirmation."""
    status = [Status.QUEUED, Status.CLAIMED, Status.IN_CONTACT, Status.AWAITING_CONFIRMATION][i % 4]
    held = status != Status.QUEUED
    return _case(
        i,
        platform,
        status=status,
        claimed_by=counselor if held else None,
        claimed_at=timezone.now() if held else None,
        breached_at=timezone.now() if i % 3 == 0 else None,
    )


def closed_case(i: int, platform: Platform, counselor: User) -> Handoff:
    outcome = list(Outcome)[i % len(Outcome)]
    return _case(
        i,
        platform,
        status=Status.CLOSED,
        outcome=outcome,
        claimed_by=counselor,
        claimed_at=timezone.now(),
        closed_at=timezone.now(),
    )


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def _flat(counts: dict[int, int], page: str) -> None:
    assert len(set(counts.values())) == 1, f"{page}: queries by number of cases {counts}"
    assert max(counts.values()) <= MOST, f"{page}: {counts}"


def _floor_counts(platform_factory: Any, sizes: tuple[int, ...]) -> dict[int, int]:
    floor = Floor(platform_factory)
    client = signed_in(floor.supervisor)
    counts = {}
    done = 0
    for size in sizes:
        cases = floor.add(size - done, open_case)
        done = size
        # A help request on every tenth held case and an alert on every fifth case, with an
        # event each: the parts of the floor that grow with the cases.
        held = [c for c in cases if c.claimed_by_id]
        HelpRequest.objects.bulk_create(
            HelpRequest(handoff=c, asked_by=c.claimed_by) for c in held[::10]
        )
        Alert.objects.bulk_create(
            Alert(handoff=c, kind=AlertKind.TARGET_MISSED, text="Target missed") for c in cases[::5]
        )
        events_record(
            [
                HandoffEvent(handoff_id=c.pk, platform=c.platform, kind=EventKind.RECEIVED)
                for c in cases
            ]
        )
        counts[size] = _count(client, "/floor/")
        html = client.get("/floor/").content.decode()
        assert f'data-testid="case-count">{size}<' in html
    return counts


def test_floor_queries_do_not_grow_with_the_open_cases(platform_factory: Any) -> None:
    """Past the cases it draws (FLOOR_CASE_LIMIT) the floor counts the rest in one more query;
    beyond that nothing grows."""
    counts = _floor_counts(platform_factory, (10, FLOOR_CASE_LIMIT + 1, 1000))
    assert counts[FLOOR_CASE_LIMIT + 1] == counts[1000], counts
    assert counts[1000] - counts[10] <= 1, counts
    assert max(counts.values()) <= MOST, counts


def test_floor_reads_the_same_queries_for_10_or_1000_open_cases(platform_factory: Any) -> None:
    _flat(_floor_counts(platform_factory, SIZES), "/floor/")


@pytest.mark.parametrize("who", ["supervisor", "counselor"])
def test_case_history_reads_the_same_queries_for_10_or_1000_cases(
    who: str, platform_factory: Any
) -> None:
    floor = Floor(platform_factory)
    user = floor.supervisor if who == "supervisor" else floor.counselors[0]
    client = signed_in(user)
    counts = {}
    done = 0
    for size in SIZES:
        cases = floor.add(size - done, closed_case)
        done = size
        # The counselor also acted on the other counselor's cases now and then: those are in
        # their history through the events.
        events_record(
            [
                HandoffEvent(
                    handoff_id=c.pk,
                    platform=c.platform,
                    actor=floor.counselors[0],
                    kind=EventKind.NOTE_ADDED,
                )
                for c in cases[1::20]
            ]
        )
        for query in ("", "?status=closed", "?page=2"):
            counts[(size, query)] = _count(client, f"/cases/{query}")
    for query in ("", "?status=closed", "?page=2"):
        _flat({s: counts[(s, query)] for s in SIZES}, f"/cases/{query} as {who}")


def test_reviews_read_the_same_queries_for_10_or_1000_cases(platform_factory: Any) -> None:
    floor = Floor(platform_factory)
    client = signed_in(floor.supervisor)
    counts = {}
    done = 0
    for size in SIZES:
        cases = floor.add(size - done, closed_case)
        done = size
        now = timezone.now()
        # Built past the services: the review mark they would have left is set here.
        Handoff.objects.filter(pk__in=[c.pk for c in cases]).update(
            outcome=Outcome.EMERGENCY_CALL, review_queued_at=now
        )
        EmergencyCall.objects.bulk_create(
            EmergencyCall(
                handoff=c,
                counselor=c.claimed_by,
                center_name="Center",
                center_number="6145550100",
                dialed_at=now - timedelta(minutes=1),
                relayed="x",
                person_consented=True,
            )
            for c in cases
        )
        counts[size] = _count(client, "/reviews/")
    html = client.get("/reviews/").content.decode()
    assert html.count('data-testid="review-row"') == 50  # a page of the thousand
    _flat(counts, "/reviews/")


def test_audit_reads_the_same_queries_for_10_or_1000_events(platform_factory: Any) -> None:
    """Every filter at once and none: a page of 50 events, each with its person and platform,
    and the read's own event, in the same queries whatever the log holds."""
    floor = Floor(platform_factory)
    client = signed_in(floor.supervisor)
    # The first read ever starts the console's own chain (one query more, once).
    client.get("/audit/")
    counts = {}
    done = 0
    cases: list[Handoff] = []
    for size in SIZES:
        cases += floor.add(size - done, closed_case)
        events_record(
            [
                HandoffEvent(
                    handoff_id=c.pk,
                    platform=c.platform,
                    actor=floor.counselors[i % 2],
                    kind=EventKind.NOTE_ADDED,
                )
                for i, c in enumerate(cases[done:size])
            ]
        )
        done = size
        person = floor.counselors[0].pk
        today = timezone.localdate().isoformat()
        for query in (
            "",
            f"?person={person}&kind=note_added&period_from={today}&period_to={today}",
            "?page=2",
        ):
            counts[(size, query)] = _count(client, f"/audit/{query}")
    for query in {q for _, q in counts}:
        _flat({s: counts[(s, query)] for s in SIZES}, f"/audit/{query}")
