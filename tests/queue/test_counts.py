"""The dashboard's per-tier counts come from a ledger the database keeps (migration 0017): after
any sequence of what happens to cases they equal a fresh COUNT, and reading them costs the same
however many cases wait."""

import contextlib
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counselors.models import Role
from handoff.intake import schema
from handoff.intake import services as intake
from handoff.models import Handoff, QueueDelta, Status, Tier
from handoff.queue import selectors
from handoff.queue import services as queue
from tests.support.factories import PlatformFactory, handoff_body, post_signed
from tests.support.staff import make_staff, signed_in

pytestmark = pytest.mark.django_db


def fresh_counts() -> dict[str, int]:
    """What the dashboard must show: counted now from the cases themselves."""
    counts = dict.fromkeys(Tier.values, 0)
    for tier in Handoff.objects.filter(status=Status.QUEUED).values_list("tier", flat=True):
        counts[tier] += 1
    return counts


def shown_counts() -> dict[str, int]:
    return {c.tier: c.waiting for c in selectors.tier_counts()}


ACTIONS = (
    "intake",
    "claim",
    "release",
    "transfer_to_colleague",
    "transfer_to_queue",
    "supervisor_assigns",
    "close",
    "withdraw",
    "withdraw_after_claim",
    "aging",
    "tier_change",
    "fold",
)


class World:
    """A platform, two counselors and a supervisor, and the cases they act on."""

    def __init__(self) -> None:
        self.platform = PlatformFactory()(rate_limit=100_000)
        self.casey = make_staff("casey-counts")
        self.jordan = make_staff("jordan-counts")
        self.sam = make_staff("sam-counts", role=Role.SUPERVISOR)
        self.cases: list[str] = []

    def case(self, pick: int, *statuses: Status) -> Handoff | None:
        found = list(Handoff.objects.filter(pk__in=self.cases, status__in=statuses).order_by("pk"))
        return found[pick % len(found)] if found else None

    def act(self, action: str, pick: int) -> None:
        if action == "intake":
            level = Tier.values[pick % len(Tier.values)]
            body = handoff_body(external_id=f"conv-{uuid.uuid4().hex}")
            body["risk"]["level"] = level
            answer = intake.handoff_create(
                platform=self.platform.platform,
                webhook_id=f"msg_{uuid.uuid4().hex}",
                data=schema.HandoffCreate.model_validate_json(json.dumps(body)),
            )
            self.cases.append(answer.body["id"])
            return
        if action == "fold":
            selectors.queue_counts_fold()
            return
        if action == "aging":
            # Every waiting case overdue: queue_age flags each once and moves it up a tier.
            Handoff.objects.filter(pk__in=self.cases, status=Status.QUEUED).update(
                queued_at=timezone.now() - timedelta(hours=1)
            )
            queue.queue_age()
            return
        waiting = self.case(pick, Status.QUEUED)
        held = self.case(pick, Status.CLAIMED, Status.IN_CONTACT)
        # Refused (capacity, not the holder): a refusal changes nothing either.
        with contextlib.suppress(queue.ClaimRefused, queue.ActionRefused):
            self._act_on(action, pick, waiting, held)

    def _act_on(self, action: str, pick: int, waiting: Any, held: Any) -> None:
        counselor = (self.casey, self.jordan)[pick % 2]
        if action == "claim" and waiting:
            queue.handoff_claim(handoff_id=str(waiting.pk), counselor=counselor)
        elif action == "release" and held:
            queue.handoff_release(handoff_id=str(held.pk), actor=held.claimed_by)
        elif action == "transfer_to_colleague" and held:
            to = self.jordan if held.claimed_by_id == self.casey.pk else self.casey
            queue.handoff_transfer(handoff_id=str(held.pk), actor=self.sam, to=to, note="over")
        elif action == "transfer_to_queue" and held:
            queue.handoff_transfer(handoff_id=str(held.pk), actor=held.claimed_by, to=None)
        elif action == "supervisor_assigns" and waiting:
            queue.handoff_transfer(
                handoff_id=str(waiting.pk), actor=self.sam, to=counselor, note="yours"
            )
        elif action == "close" and held:
            # As any writer would close it; the ledger does not depend on which code wrote.
            Handoff.objects.filter(pk=held.pk).update(
                status=Status.CLOSED, closed_at=timezone.now()
            )
        elif action in {"withdraw", "withdraw_after_claim"}:
            target = waiting if action == "withdraw" else held
            if target is not None:
                intake.handoff_withdraw(
                    platform=self.platform.platform,
                    handoff_id=str(target.pk),
                    webhook_id=f"msg_{uuid.uuid4().hex}",
                    data=schema.Withdraw(reason="user_left"),
                )
        elif action == "tier_change" and waiting:
            tier = Tier.values[(pick // 2) % len(Tier.values)]
            Handoff.objects.filter(pk=waiting.pk).update(tier=tier)


@pytest.fixture
def world(db: None) -> World:
    return World()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(ACTIONS), st.integers(min_value=0, max_value=40)),
        min_size=1,
        max_size=30,
    )
)
def test_counts_equal_a_fresh_count_after_any_sequence(
    world: World, steps: list[tuple[str, int]]
) -> None:
    # The examples share the test's transaction and its world: each starts from whatever the
    # ones before left, which only makes the sequences longer.
    for action, pick in steps:
        world.act(action, pick)
        assert shown_counts() == fresh_counts(), f"after {action}"


def test_a_case_that_changes_tier_while_waiting_moves_between_counts(world: World) -> None:
    world.act("intake", 0)  # low
    assert shown_counts()[Tier.LOW] == 1
    Handoff.objects.filter(pk=world.cases[0]).update(tier=Tier.IMMINENT)
    assert shown_counts()[Tier.LOW] == 0
    assert shown_counts()[Tier.IMMINENT] == 1
    # A change that leaves it where it was counts nothing twice.
    Handoff.objects.filter(pk=world.cases[0]).update(tier=Tier.IMMINENT, version=9)
    assert shown_counts()[Tier.IMMINENT] == 1


def test_reading_the_counts_costs_the_same_with_ten_or_a_thousand_waiting(
    platform_factory: Any,
) -> None:
    p = platform_factory(rate_limit=100_000)
    client = Client()

    def add(n: int) -> None:
        cases = Handoff.objects.filter(platform=p.platform)
        template = cases.first()
        assert template is not None
        Handoff.objects.bulk_create(
            Handoff(
                platform=p.platform,
                external_id=f"bulk-{cases.count()}-{i}",
                tier=Tier.values[i % 4],
                platform_level=Tier.LOW,
                flagged_at=template.flagged_at,
                received_at=template.received_at,
                queued_at=template.queued_at,
            )
            for i in range(n)
        )

    post_signed(client, p.url(), secret=p.inbound_secret, body=handoff_body())
    add(9)

    def plan() -> str:
        with CaptureQueriesContext(connection) as queries:
            selectors.tier_counts()
        return queries.captured_queries[0]["sql"]

    small = plan()
    add(990)
    selectors.queue_counts_fold()
    assert sum(shown_counts().values()) == 1000 == sum(fresh_counts().values())
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {plan()}")
        (explained,) = cursor.fetchone()
    # The count sums the ledger (one row per tier once folded), never the waiting cases.
    assert plan() == small
    assert QueueDelta.objects.count() <= len(Tier)
    rows_read = _rows_read(explained[0]["Plan"], "handoff_handoff")
    assert rows_read <= len(Tier), rows_read


def _rows_read(node: dict[str, Any], table: str) -> int:
    """Rows the plan took from `table` (each subplan's per-loop rows times its loops)."""
    own = (
        int(node.get("Actual Rows", 0)) * int(node.get("Actual Loops", 1))
        if node.get("Relation Name") == table
        else 0
    )
    return own + sum(_rows_read(child, table) for child in node.get("Plans", []))


def test_the_dashboard_shows_the_counts_the_ledger_keeps(platform_factory: Any) -> None:
    p = platform_factory()
    for level in ("high", "high", "low"):
        body = handoff_body()
        body["risk"]["level"] = level
        post_signed(Client(), p.url(), secret=p.inbound_secret, body=body)
    page = signed_in(make_staff("casey-page")).get("/").content.decode()
    assert '<span class="n" data-testid="count-high">2</span>' in page
    assert '<span class="n" data-testid="count-low">1</span>' in page
    assert '<span class="n" data-testid="count-imminent">0</span>' in page
