"""A case whose stored times Python cannot hold (put straight into PostgreSQL: past the year
9999, before the year 1, infinity) never stops the console for anyone else.

Three layers, each tested: the console's connections load such a time at the nearest readable
edge (handoff/dbtypes.py); every periodic job and batch works case by case, skipping and logging
a case that fails (handoff/jobs.py); and where a read fails anyway, the case page explains itself
and the platform endpoints still answer.
"""

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import psycopg
import pytest
from django.db import DataError, connection
from django.db.backends.postgresql.psycopg_any import (  # type: ignore[import-untyped]
    register_tzloader,
)
from django.test import Client
from django.utils import timezone

from counselors.models import Role
from handoff import dbtypes
from handoff.callbacks.tasks import callback_send_task, callbacks_sweep_task
from handoff.dispositions.services import emergency_confirmations_overdue, follow_ups_remind
from handoff.models import (
    Callback,
    CallbackEvent,
    CallbackStatus,
    EmergencyCall,
    EventKind,
    FollowUp,
    Handoff,
    HandoffEvent,
    Status,
    SummaryStatus,
    TierSource,
    TranscriptMessage,
)
from handoff.queue.services import handoff_claim, queue_age
from handoff.summary.tasks import summaries_sweep
from tests.callbacks import point_at
from tests.support.factories import PlatformWithSecrets, get_signed, handoff_body, post_signed
from tests.support.receiver import Receiver
from tests.support.staff import make_staff, signed_in

pytestmark = pytest.mark.django_db

# What PostgreSQL holds and psycopg cannot load, as PostgreSQL writes it out.
OUT_OF_RANGE = {
    "10000-01-02": dbtypes.READABLE_MAX,
    "9999-12-31T23:59:59-01:00": dbtypes.READABLE_MAX,  # 10000-01-01 00:59:59 UTC
    "294276-12-31": dbtypes.READABLE_MAX,
    "infinity": dbtypes.READABLE_MAX,
    "0001-01-01T00:00:00+01:00": dbtypes.READABLE_MIN,  # 0001-12-31 23:00 BC in UTC
    "4713-01-01 BC": dbtypes.READABLE_MIN,
    "-infinity": dbtypes.READABLE_MIN,
}
SECRET_WORDS = "I want to end my life tonight, I have pills"


def _select(value: str) -> Any:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::text::timestamptz", [value])
        return cursor.fetchone()[0]


@pytest.mark.parametrize(("stored", "edge"), list(OUT_OF_RANGE.items()))
def test_psycopg_refuses_what_the_clamping_loader_relies_on(stored: str, edge: object) -> None:
    """Pins psycopg: its own loader (Django's, registered on a cursor) raises DataError on these
    values; ours loads them at the nearest readable edge."""
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own cursor, its errors not wrapped by Django's
        register_tzloader(connection.timezone, cursor)  # Django's loader, as shipped
        cursor.execute("SELECT %s::text::timestamptz", [stored])
        with pytest.raises(psycopg.DataError, match=r"timestamp too (large|small)"):
            cursor.fetchone()
    assert _select(stored) == edge
    assert dbtypes.is_unreadable(_select(stored))


def test_readable_times_load_unchanged_and_other_errors_are_not_hidden() -> None:
    for value in ("2024-02-29T12:34:56.789+05:30", "9999-12-29T00:00:00Z", "0001-01-03Z"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::text::timestamptz, %s::text::timestamptz::text", [value] * 2)
            loaded, text = cursor.fetchone()
        assert loaded.isoformat().startswith(text[:10]) or text.startswith("0001")
        assert not dbtypes.is_unreadable(loaded)
    assert dbtypes._edge(b"2024-13-45 99:99:99+00") is None  # not out of range: raised as is


class World:
    """Normal cases beside three poisoned ones, a counselor, a supervisor."""

    def __init__(self, platform: PlatformWithSecrets, settings: Any) -> None:
        self.p = platform
        self.counselor = make_staff("casey", display_name="Casey")
        self.supervisor = make_staff("morgan", role=Role.SUPERVISOR, display_name="Morgan")
        self.client = signed_in(self.counselor)
        # A high case that has waited past its target, and a moderate one that has not.
        self.high = self._new(risk={"level": "high"})
        self.moderate = self._new(risk={"level": "moderate"})
        self.mine = self._new(risk={"level": "moderate"})
        handoff_claim(handoff_id=self.mine, counselor=self.counselor)
        # A: waiting too, its flagged and received times, consent and a message unreadable.
        self.a = self._new(risk={"level": "high"})
        # B: its place in the queue (queued_at) unreadable. C: held, its claim time unreadable.
        self.b = self._new()
        self.c = self._new()
        handoff_claim(handoff_id=self.c, counselor=self.counselor)
        long_ago = timezone.now() - timedelta(seconds=settings.QUEUE_TARGET_SECONDS["high"] + 60)
        Handoff.objects.filter(pk__in=[self.high, self.a]).update(queued_at=long_ago)
        self._sql(
            "UPDATE handoff_handoff SET flagged_at = '9999-12-31T23:59:59-01:00'::timestamptz,"
            " received_at = '-infinity' WHERE id = %s",
            self.a,
        )
        self._sql(
            "UPDATE handoff_consent SET granted_at = 'infinity' WHERE handoff_id = %s", self.a
        )
        self._sql(
            "UPDATE handoff_transcriptmessage SET at = '0001-01-01T00:00:00+01:00'::timestamptz"
            " WHERE handoff_id = %s AND seq = 0",
            self.a,
        )
        self._sql(
            "UPDATE handoff_handoff SET queued_at = '10000-01-02'::timestamptz,"
            " updated_at = 'infinity' WHERE id = %s",
            self.b,
        )
        self._sql(
            "UPDATE handoff_handoff SET claimed_at = 'infinity',"
            " updated_at = '10000-01-02'::timestamptz WHERE id = %s",
            self.c,
        )

    def _new(self, **body: object) -> str:
        response = post_signed(
            Client(), self.p.url(), secret=self.p.inbound_secret, body=handoff_body(**body)
        )
        assert response.status_code == 202, response.content
        return str(response.json()["id"])

    @staticmethod
    def _sql(statement: str, case_id: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(statement, [case_id])
            assert cursor.rowcount >= 1

    @property
    def normal(self) -> list[str]:
        return [self.high, self.moderate, self.mine]

    @property
    def poisoned(self) -> list[str]:
        return [self.a, self.b, self.c]


@pytest.fixture
def world(platform_factory, settings) -> World:
    return World(platform_factory(), settings)


@pytest.fixture
def without_clamping() -> Iterator[None]:
    """The first layer missing: this connection loads times with Django's own loader."""
    connection.ensure_connection()
    register_tzloader(connection.timezone, connection.connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'infinity'::timestamptz")
        with pytest.raises(DataError):
            cursor.fetchone()
    yield
    dbtypes.register_clamping_loader(connection)


def _signed_messages(world: World, case_id: str, text: str) -> Any:
    body = {"messages": [{"role": "user", "text": text, "at": timezone.now().isoformat()}]}
    return post_signed(
        Client(), world.p.url(f"/{case_id}/messages"), secret=world.p.inbound_secret, body=body
    )


def test_the_dashboard_shows_every_case_to_every_counselor(world) -> None:
    for user in (world.counselor, make_staff("jordan"), world.supervisor):
        response = signed_in(user).get("/")
        assert response.status_code == 200
        page = response.content.decode()
        for case_id in [world.high, world.moderate, world.a, world.b]:
            assert f'id="case-{case_id}"' in page
    mine = world.client.get("/").content.decode()
    assert f"/cases/{world.mine}/" in mine and f"/cases/{world.c}/" in mine


def test_the_poisoned_case_page_explains_itself_and_the_others_do_not(world) -> None:
    for case_id in world.poisoned:
        response = world.client.get(f"/cases/{case_id}/")
        assert response.status_code == 200, case_id
        page = response.content.decode()
        assert 'data-testid="unreadable-times"' in page
        assert "could not be read" in page
    # The person's words are all there, as sent.
    assert (
        "I do not want to be here tomorrow."
        in world.client.get(f"/cases/{world.a}/").content.decode()
    )
    for case_id in [world.high, world.moderate, world.mine]:
        page = world.client.get(f"/cases/{case_id}/").content.decode()
        assert 'data-testid="unreadable-times"' not in page


def test_the_platform_endpoints_answer_for_the_poisoned_cases(world) -> None:
    for case_id in world.poisoned:
        status = get_signed(Client(), world.p.url(f"/{case_id}"), secret=world.p.inbound_secret)
        assert status.status_code == 200, case_id
        assert status.json()["status"] in ("queued", "claimed")
        before = TranscriptMessage.objects.filter(handoff_id=case_id).count()
        assert _signed_messages(world, case_id, SECRET_WORDS).status_code == 202
        assert TranscriptMessage.objects.filter(handoff_id=case_id).count() == before + 1
    withdraw = post_signed(
        Client(),
        world.p.url(f"/{world.b}/withdraw"),
        secret=world.p.inbound_secret,
        body={"reason": "user_left"},
    )
    assert withdraw.status_code == 202
    assert Handoff.objects.get(pk=world.b).status == Status.WITHDRAWN


def test_aging_raises_the_case_past_its_target(world) -> None:
    queue_age()
    high = Handoff.objects.get(pk=world.high)
    assert high.tier == "imminent" and high.tier_source == TierSource.AGING
    assert high.breached_at is not None
    assert Handoff.objects.get(pk=world.moderate).breached_at is None


def test_summaries_are_built_for_every_case_in_the_batch(world, settings) -> None:
    settings.SUMMARY_BATCH_SIZE = 50  # every case in one batch, the poisoned ones with them
    summaries_sweep()
    for case_id in [*world.normal, *world.poisoned]:
        assert Handoff.objects.get(pk=case_id).summary_status == SummaryStatus.READY, case_id


def test_callbacks_are_sent_for_the_others(world) -> None:
    Callback.objects.filter(handoff_id=world.a).update(status=CallbackStatus.PENDING)
    world._sql(
        "UPDATE handoff_callback SET expires_at = '10000-01-02'::timestamptz,"
        " created_at = '-infinity' WHERE handoff_id = %s",
        world.a,
    )
    with Receiver(world.p.outbound_secret) as receiver:
        point_at(world.p, receiver.url)
        Callback.objects.update(
            status=CallbackStatus.PENDING, next_attempt_at=timezone.now() - timedelta(minutes=1)
        )
        with mock.patch.object(callback_send_task, "delay") as delay:
            swept = callbacks_sweep_task()
        assert swept == Callback.objects.count()
        for call in delay.call_args_list:
            callback_send_task.apply(args=call.args)
    delivered = Callback.objects.filter(status=CallbackStatus.DELIVERED)
    for case_id in world.normal:
        assert delivered.filter(handoff_id=case_id, event=CallbackEvent.QUEUED).exists()
    assert receiver.rejected == 0
    assert len(receiver.deliveries) == Callback.objects.count()


def _follow_up_and_call(world: World, case_id: str) -> None:
    FollowUp.objects.create(
        handoff_id=case_id, counselor=world.counselor, due_at=timezone.now() - timedelta(minutes=1)
    )
    EmergencyCall.objects.create(
        handoff_id=case_id,
        counselor=world.counselor,
        center_name="Franklin County",
        center_number="6145550100",
        dialed_at=timezone.now(),
        relayed="x",
        person_consented=True,
        recorded_at=timezone.now() - timedelta(hours=2),
    )


def test_follow_ups_and_overdue_confirmations_fire_for_the_others(world) -> None:
    for case_id in [world.a, world.mine, world.c]:
        _follow_up_and_call(world, case_id)
    world._sql("UPDATE handoff_followup SET due_at = '-infinity' WHERE handoff_id = %s", world.a)
    assert follow_ups_remind() == 3
    assert emergency_confirmations_overdue() == 3
    for case_id in [world.mine, world.c]:
        kinds = set(HandoffEvent.objects.filter(handoff_id=case_id).values_list("kind", flat=True))
        assert {EventKind.FOLLOW_UP_DUE, EventKind.CONFIRMATION_OVERDUE} <= kinds


# --- the first layer missing --------------------------------------------------------------


def test_without_the_loader_the_case_page_explains_itself(world, without_clamping, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="handoff.cases.views"):
        response = world.client.get(f"/cases/{world.a}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="case-unreadable"' in page and "cannot be shown" in page
    assert world.a in page  # the id an administrator looks for
    assert "pills" not in page and "tomorrow" not in page
    assert any(world.a in r.getMessage() for r in caplog.records)
    assert all("pills" not in r.getMessage() for r in caplog.records)


def test_without_the_loader_the_platform_endpoints_still_answer(world, without_clamping) -> None:
    status = get_signed(Client(), world.p.url(f"/{world.b}"), secret=world.p.inbound_secret)
    assert status.status_code == 200
    assert status.json()["status"] == "queued" and status.json()["updated_at"] is None
    # The person's new messages are never lost to a time that cannot be read.
    for case_id in world.poisoned:
        assert _signed_messages(world, case_id, SECRET_WORDS).status_code == 202
        last = TranscriptMessage.objects.filter(handoff_id=case_id).order_by("seq").last()
        assert last is not None and last.text == SECRET_WORDS
    withdraw = post_signed(
        Client(),
        world.p.url(f"/{world.a}/withdraw"),
        secret=world.p.inbound_secret,
        body={"reason": "user_left"},
    )
    assert withdraw.status_code == 202


def test_without_the_loader_the_jobs_carry_on_for_the_others(
    world, without_clamping, settings
) -> None:
    settings.SUMMARY_BATCH_SIZE = 50
    queue_age()
    assert Handoff.objects.filter(pk=world.high, tier="imminent").exists()
    summaries_sweep()
    for case_id in world.normal:
        assert Handoff.objects.filter(pk=case_id, summary_status=SummaryStatus.READY).exists()
    for case_id in [world.a, world.mine]:
        _follow_up_and_call(world, case_id)
    assert follow_ups_remind() == 2
    assert emergency_confirmations_overdue() == 2


# --- the second layer: one failing case is skipped, logged and counted -------------------


def _failing_for(case_id: str, real):  # a test double of event_record
    def record(*, handoff, **kwargs):
        if str(handoff.pk) == case_id:
            raise RuntimeError("this case cannot be written")
        return real(handoff=handoff, **kwargs)

    return record


def _assert_skipped(caplog, job: str, case_id: str) -> None:
    messages = [r.getMessage() for r in caplog.records if r.name == "handoff.jobs"]
    assert any(job in m and case_id in m and "RuntimeError" in m for m in messages), messages
    assert any(job in m and "1 case(s) skipped" in m for m in messages), messages
    assert all("cannot be written" not in m for m in messages)  # ids and kinds, no content


def test_aging_skips_a_failing_case_and_flags_the_rest(world, caplog) -> None:
    from handoff.events import event_record

    with mock.patch("handoff.queue.services.event_record", _failing_for(world.a, event_record)):
        assert queue_age() == 1
    assert Handoff.objects.get(pk=world.high).tier == "imminent"
    # The failing case's change was rolled back with it: the next run tries again.
    assert Handoff.objects.get(pk=world.a).breached_at is None
    _assert_skipped(caplog, "queue aging", world.a)
    assert queue_age() == 1


def test_a_summary_batch_stores_the_others_when_one_case_fails(world, settings, caplog) -> None:
    from handoff.events import event_build as real

    settings.SUMMARY_BATCH_SIZE = 50

    def build(*, handoff, **kwargs):
        if str(handoff.pk) == world.a:
            raise RuntimeError("this case cannot be written")
        return real(handoff=handoff, **kwargs)

    with mock.patch("handoff.summary.services.event_build", build):
        assert summaries_sweep() == 5
    for case_id in [*world.normal, world.b, world.c]:
        assert Handoff.objects.get(pk=case_id).summary_status == SummaryStatus.READY
    assert Handoff.objects.get(pk=world.a).summary_status == SummaryStatus.PENDING
    _assert_skipped(caplog, "summary sweep", world.a)


def test_follow_ups_and_confirmations_skip_a_failing_case(world, caplog) -> None:
    from handoff.events import event_record

    for case_id in [world.a, world.mine]:
        _follow_up_and_call(world, case_id)
    with mock.patch(
        "handoff.dispositions.services.event_record", _failing_for(world.a, event_record)
    ):
        assert follow_ups_remind() == 1
        _assert_skipped(caplog, "follow-up reminders", world.a)
        assert emergency_confirmations_overdue() == 1
        _assert_skipped(caplog, "emergency confirmations overdue", world.a)
    assert FollowUp.objects.get(handoff_id=world.mine).reminded_at is not None
    assert FollowUp.objects.get(handoff_id=world.a).reminded_at is None  # tried again next run
    assert follow_ups_remind() == 1


def test_the_callbacks_sweep_hands_over_the_rest_when_one_fails(world, caplog) -> None:
    Callback.objects.update(
        status=CallbackStatus.PENDING, next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    failing = str(Callback.objects.filter(handoff_id=world.a).values_list("pk", flat=True)[0])

    def dispatch(callback_id: str, **kwargs: object) -> None:
        if callback_id == failing:
            raise RuntimeError("this case cannot be written")
        handed.append(callback_id)

    handed: list[str] = []
    with mock.patch("handoff.callbacks.tasks.callback_dispatch", dispatch):
        assert callbacks_sweep_task() == Callback.objects.count() - 1
    assert failing not in handed and len(handed) == Callback.objects.count() - 1
    _assert_skipped(caplog, "callbacks sweep", failing)
