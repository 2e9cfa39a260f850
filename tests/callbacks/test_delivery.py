"""Sending callbacks: signed, retried with backoff under the same webhook-id, recorded, and never
carrying clinical details. Retries are driven by running the task directly, not by waiting."""

import json
import logging
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from counselors.models import Role
from handoff.callbacks.sender import AttemptOutcome, backoff_seconds, callback_attempt
from handoff.callbacks.services import callback_enqueue
from handoff.callbacks.tasks import callback_send_task, callbacks_sweep_task
from handoff.models import Callback, CallbackEvent, CallbackStatus, Handoff
from handoff.queue.services import handoff_claim
from tests.callbacks import callback_for, make_due, new_case, point_at, relayed, send
from tests.support.receiver import Receiver
from tests.support.staff import make_staff

EVENTS = (CallbackEvent.QUEUED, CallbackEvent.CLAIMED, CallbackEvent.MESSAGE, CallbackEvent.CLOSED)


def _all_four_events(p) -> dict[CallbackEvent, Callback]:
    """One callback of each kind for one case: intake, a claim, a relayed message, a close."""
    case_id = new_case(p)
    handoff_claim(handoff_id=case_id, counselor=make_staff("casey", role=Role.COUNSELOR))
    handoff = Handoff.objects.select_related("platform").get(pk=case_id)
    relayed(handoff, "I'm here with you.")
    callback_enqueue(handoff=handoff, event=CallbackEvent.CLOSED)
    return {event: callback_for(case_id, event) for event in EVENTS}


@pytest.mark.django_db
def test_fails_three_times_then_delivered_with_the_same_webhook_id(platform_factory) -> None:
    p = platform_factory()
    with (
        Receiver(p.outbound_secret, fail_times=3) as receiver,
        mock.patch.object(callback_send_task, "apply_async") as later,
    ):
        point_at(p, receiver.url)
        callbacks = _all_four_events(p)
        for _ in range(4):
            for callback in callbacks.values():
                make_due(callback)
                send(callback)

    assert receiver.rejected == 0  # every request verified with the outbound secret
    webhook_ids = {callback.webhook_id for callback in callbacks.values()}
    assert len(webhook_ids) == 4
    for event, callback in callbacks.items():
        got = receiver.for_id(callback.webhook_id)
        assert [d.answered for d in got] == [500, 500, 500, 204], event
        assert all(d.body == got[0].body for d in got)  # the same body on every retry
        assert got[0].body["type"] == event
        callback.refresh_from_db()
        assert callback.status == CallbackStatus.DELIVERED
        assert callback.delivered_at is not None and callback.attempts == 4
        attempts = list(callback.attempt_log.order_by("number"))
        assert [a.number for a in attempts] == [1, 2, 3, 4]
        assert [a.status_code for a in attempts] == [500, 500, 500, 204]
        assert [a.error for a in attempts] == ["HTTP 500", "HTTP 500", "HTTP 500", ""]
    # Three retries per callback, each scheduled through the broker with a growing countdown.
    countdowns = sorted(c.kwargs["countdown"] for c in later.call_args_list)
    assert len(countdowns) == 12
    assert all(2 <= c <= 2.2 for c in countdowns[:4])
    assert all(4 <= c <= 4.4 for c in countdowns[4:8])
    assert all(8 <= c <= 8.8 for c in countdowns[8:])


def test_backoff_doubles_and_is_capped_at_ten_minutes() -> None:
    for attempts, base in ((1, 2), (2, 4), (3, 8), (4, 16)):
        assert base <= backoff_seconds(attempts) <= base * 1.1
    assert 600 <= backoff_seconds(10) <= 660
    assert 600 <= backoff_seconds(10_000) <= 660


@pytest.mark.django_db
def test_body_has_ids_status_and_time_never_clinical_details(platform_factory) -> None:
    p = platform_factory()
    transcript = [
        {
            "role": "user",
            "text": "My number is 614-555-0177 and I live at 77 Elm Street, apartment 2.",
            "at": timezone.now().isoformat(),
        },
        {
            "role": "user",
            "text": "I have a bottle of pills next to me.",
            "at": timezone.now().isoformat(),
        },
    ]
    with Receiver(p.outbound_secret) as receiver:
        point_at(p, receiver.url)
        case_id = new_case(p, transcript=transcript)
        callback = callback_for(case_id, CallbackEvent.QUEUED)
        assert send(callback) == AttemptOutcome.DELIVERED
    handoff = Handoff.objects.get(pk=case_id)
    (delivery,) = receiver.deliveries
    assert delivery.webhook_id == callback.webhook_id
    body = delivery.body
    assert set(body) == {"type", "timestamp", "data"}
    assert body["type"] == "handoff.queued"
    assert set(body["data"]) == {"id", "external_id", "status", "at"}
    assert body["data"]["id"] == case_id
    assert body["data"]["external_id"] == handoff.external_id
    assert body["data"]["status"] == "queued"
    assert body["data"]["at"].endswith("Z") and body["timestamp"] == body["data"]["at"]
    raw = json.dumps(body)
    for clinical in (
        "555-0177",  # phone in the transcript
        "Elm Street",  # address in the transcript
        "pills",
        "+16145550142",  # the contact's phone
        "Main St",  # the contact's address
        "Columbus",
        "43215",
        "Sam",
        handoff.tier,
        "outcome",
        "transcript",
    ):
        assert clinical not in raw, clinical


@pytest.mark.django_db
def test_platform_without_callback_url_gets_nothing(
    platform_factory, django_capture_on_commit_callbacks
) -> None:
    p = platform_factory()  # no callback URL
    with (
        mock.patch.object(callback_send_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        case_id = new_case(p)
    callback = callback_for(case_id, CallbackEvent.QUEUED)
    assert callback.status == CallbackStatus.NO_URL
    delay.assert_not_called()
    assert send(callback) == AttemptOutcome.SKIPPED
    callback.refresh_from_db()
    assert callback.attempts == 0 and callback.attempt_log.count() == 0


@pytest.mark.django_db
def test_url_removed_after_enqueue_is_no_url(platform_factory) -> None:
    p = platform_factory()
    with Receiver(p.outbound_secret) as receiver:
        point_at(p, receiver.url)
        callback = callback_for(new_case(p), CallbackEvent.QUEUED)
        point_at(p, "")
        assert send(callback) == AttemptOutcome.NO_URL
    assert receiver.deliveries == []
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.NO_URL


@pytest.mark.django_db
def test_commit_enqueues_the_send_and_a_broker_outage_is_tolerated(
    platform_factory, django_capture_on_commit_callbacks, caplog
) -> None:
    p = platform_factory()
    point_at(p, "http://127.0.0.1:9/never")
    with (
        mock.patch.object(callback_send_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        case_id = new_case(p)
    callback = callback_for(case_id, CallbackEvent.QUEUED)
    delay.assert_called_once_with(str(callback.pk))

    with (
        mock.patch.object(callback_send_task, "delay", side_effect=ConnectionError("broker down")),
        django_capture_on_commit_callbacks(execute=True),
        caplog.at_level(logging.WARNING),
    ):
        case_id = new_case(p)
    callback = callback_for(case_id, CallbackEvent.QUEUED)
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.PENDING and callback.attempts == 0
    assert f"callback {callback.pk} not enqueued (ConnectionError)" in caplog.text


@pytest.mark.django_db
def test_past_expiry_the_attempt_is_the_last(platform_factory) -> None:
    p = platform_factory()
    with (
        Receiver(p.outbound_secret, fail_times=100) as receiver,
        mock.patch.object(callback_send_task, "apply_async") as later,
    ):
        point_at(p, receiver.url)
        callback = callback_for(new_case(p), CallbackEvent.QUEUED)
        Callback.objects.filter(pk=callback.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
        assert send(callback) == AttemptOutcome.EXPIRED
        assert send(callback) == AttemptOutcome.SKIPPED
    assert len(receiver.deliveries) == 1
    later.assert_not_called()
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.EXPIRED and callback.attempts == 1
    assert callback.attempt_log.get().error == "HTTP 500"


@pytest.mark.django_db
def test_unreachable_platform_is_recorded_by_exception_class(platform_factory) -> None:
    p = platform_factory()
    with Receiver(p.outbound_secret) as receiver:
        url = receiver.url
    point_at(p, url)  # nothing listens there any more
    callback = callback_for(new_case(p), CallbackEvent.QUEUED)
    with mock.patch.object(callback_send_task, "apply_async") as later:
        assert send(callback) == AttemptOutcome.RETRY
    later.assert_called_once()
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.PENDING and callback.attempts == 1
    assert callback.next_attempt_at > timezone.now()
    attempt = callback.attempt_log.get()
    assert attempt.error == "ConnectError" and attempt.status_code is None


@pytest.mark.django_db
def test_the_same_attempt_twice_sends_once(platform_factory) -> None:
    p = platform_factory()
    with Receiver(p.outbound_secret, fail_times=1) as receiver:
        point_at(p, receiver.url)
        callback = callback_for(new_case(p), CallbackEvent.QUEUED)
        with mock.patch.object(callback_send_task, "apply_async"):
            assert send(callback) == AttemptOutcome.RETRY
            # A duplicate task (a redelivery, or the sweeper's) before the backoff has passed.
            assert send(callback) == AttemptOutcome.SKIPPED
        # A deleted callback, or an id that is not one, is a quiet no-op.
        assert callback_attempt(str(Callback().pk)).outcome == AttemptOutcome.SKIPPED
        assert callback_attempt("no-such-id").outcome == AttemptOutcome.SKIPPED
    assert len(receiver.deliveries) == 1
    callback.refresh_from_db()
    assert callback.attempts == 1 and callback.attempt_log.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_attempt(platform_factory) -> None:
    p = platform_factory()
    with (
        Receiver(p.outbound_secret) as receiver,
        mock.patch.object(callback_send_task, "delay"),
    ):
        point_at(p, receiver.url)
        callback = callback_for(new_case(p), CallbackEvent.QUEUED)
        barrier = threading.Barrier(2)
        outcomes: list[AttemptOutcome] = []

        def worker() -> None:
            try:
                barrier.wait(timeout=10)
                outcomes.append(callback_attempt(str(callback.pk)).outcome)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert sorted(outcomes) == sorted([AttemptOutcome.DELIVERED, AttemptOutcome.SKIPPED])
    assert len(receiver.deliveries) == 1
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.DELIVERED and callback.attempts == 1


@pytest.mark.django_db
def test_sweeper_resends_overdue_and_expires_old(platform_factory) -> None:
    p = platform_factory()
    point_at(p, "http://127.0.0.1:9/never")
    now = timezone.now()
    lost = callback_for(new_case(p), CallbackEvent.QUEUED)
    just_due = callback_for(new_case(p), CallbackEvent.QUEUED)
    old = callback_for(new_case(p), CallbackEvent.QUEUED)
    delivered = callback_for(new_case(p), CallbackEvent.QUEUED)
    Callback.objects.filter(pk=lost.pk).update(next_attempt_at=now - timedelta(minutes=1))
    Callback.objects.filter(pk=just_due.pk).update(next_attempt_at=now)
    Callback.objects.filter(pk=old.pk).update(
        next_attempt_at=now - timedelta(minutes=1), expires_at=now - timedelta(seconds=1)
    )
    Callback.objects.filter(pk=delivered.pk).update(
        status=CallbackStatus.DELIVERED, next_attempt_at=now - timedelta(minutes=1)
    )
    with mock.patch.object(callback_send_task, "delay") as delay:
        assert callbacks_sweep_task.apply().get() == 1
    delay.assert_called_once_with(str(lost.pk))
    old.refresh_from_db()
    assert old.status == CallbackStatus.EXPIRED and old.attempts == 0


@pytest.mark.django_db
def test_logs_carry_ids_never_the_payload(platform_factory, caplog) -> None:
    p = platform_factory()
    words = "Sam, I'm calling you now from 614-555-0199."
    with Receiver(p.outbound_secret, fail_times=1) as receiver:
        point_at(p, receiver.url)
        case_id = new_case(p)
        handoff = Handoff.objects.select_related("platform").get(pk=case_id)
        callback = relayed(handoff, words)
        with caplog.at_level(logging.DEBUG), mock.patch.object(callback_send_task, "apply_async"):
            assert send(callback) == AttemptOutcome.RETRY
            make_due(callback)
            assert send(callback) == AttemptOutcome.DELIVERED
    assert receiver.deliveries[-1].body["data"]["text"] == words  # the platform relays them
    assert str(callback.pk) in caplog.text
    assert "555-0199" not in caplog.text and "Sam" not in caplog.text
    assert "secret internals" not in caplog.text  # nor the platform's answer
