"""The summary task: idempotent per transcript version, retried, never leaving a case stuck."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from handoff.models import EventKind, Handoff, HandoffEvent, HandoffSummary, SummaryStatus
from handoff.queue import render
from handoff.summary import services, tasks
from handoff.summary.services import summary_build, summary_engine
from handoff.summary.tasks import (
    summaries_reconcile,
    summaries_sweep,
    summary_build_task,
    summary_sweep_kick,
    summary_sweep_task,
)
from tests.support.engines import FailingEngine
from tests.support.factories import handoff_body, post_signed

pytestmark = pytest.mark.django_db

ATTEMPT = [
    {
        "role": "user",
        "text": "I already took the whole bottle of pills",
        "at": "2026-11-27T02:01:40Z",
    }
]


def _case(platform_factory, **overrides) -> Handoff:
    p = platform_factory()
    response = post_signed(
        Client(), p.url(), secret=p.inbound_secret, body=handoff_body(**overrides)
    )
    return Handoff.objects.get(pk=response.json()["id"])


@pytest.fixture(autouse=True)
def _no_sweep_pending() -> None:
    """Each test starts with no sweep queued (the flag lives in the tests' Redis database)."""
    from handoff.redis import redis_client

    redis_client().delete(tasks.SWEEP_PENDING_KEY)


def _due() -> set[str]:
    return {
        str(pk)
        for pk, version, done in Handoff.objects.values_list(
            "pk", "transcript_version", "summarized_version"
        )
        if done < version
    }


def test_intake_asks_for_a_summary_after_commit(
    platform_factory, django_capture_on_commit_callbacks
) -> None:
    p = platform_factory()
    with (
        mock.patch.object(summary_sweep_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body())
        assert delay.call_count == 0  # not before commit
    assert callbacks
    handoff = Handoff.objects.get(pk=response.json()["id"])
    delay.assert_called_once_with()
    # The case is waiting before any summary exists, and the database says it is due.
    assert handoff.status == "queued" and handoff.summary_status == SummaryStatus.PENDING
    assert _due() == {str(handoff.id)}
    summaries_sweep()
    handoff.refresh_from_db()
    assert handoff.summary_status == SummaryStatus.READY and _due() == set()


def test_a_burst_wakes_one_sweep_until_it_starts(
    platform_factory, django_capture_on_commit_callbacks
) -> None:
    p = platform_factory()

    def post() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body())

    with mock.patch.object(summary_sweep_task, "delay") as delay:
        for _ in range(5):
            post()
        assert delay.call_count == 1  # four more handoffs, no more tasks
        summaries_sweep()  # starts: from now on a new request wakes another
        post()
        assert delay.call_count == 2
        summary_sweep_kick(force=True)  # the reconciler wakes one whatever the flag says
        assert delay.call_count == 3
    assert len(_due()) == 1  # the sixth waits for the sweep just woken


def test_a_broker_outage_leaves_no_flag_behind(platform_factory) -> None:
    from handoff.redis import redis_client

    with mock.patch.object(summary_sweep_task, "delay", side_effect=ConnectionError("down")):
        summary_sweep_kick()  # logged, never raised: the case is already queued
    assert not redis_client().exists(tasks.SWEEP_PENDING_KEY)


def test_the_sweep_builds_every_due_summary_in_batches(platform_factory, settings) -> None:
    settings.SUMMARY_BATCH_SIZE = 2
    cases = [_case(platform_factory) for _ in range(5)]
    imminent = _case(platform_factory, risk={"level": "imminent"})
    with mock.patch.object(services, "_lease", wraps=services._lease) as lease:
        assert summaries_sweep() == 6
    assert lease.call_count == 4  # 2 + 2 + 2, then nothing left
    first = lease.call_args_list[0]
    assert first.kwargs == {"size": 2}
    for handoff in [*cases, imminent]:
        handoff.refresh_from_db()
        assert handoff.summary_status == SummaryStatus.READY
        assert handoff.summarized_version == handoff.transcript_version
        assert handoff.summary_lease_until is None
        assert HandoffSummary.objects.filter(handoff=handoff).count() == 1
        assert (
            HandoffEvent.objects.filter(handoff_id=handoff.id, kind=EventKind.SUMMARY_READY).count()
            == 1
        )
    assert summaries_sweep() == 0  # nothing due: nothing written twice


def test_the_most_urgent_are_summarized_first(platform_factory) -> None:
    low = _case(platform_factory, risk={"level": "low"})
    imminent = _case(platform_factory, risk={"level": "imminent"})
    moderate = _case(platform_factory, risk={"level": "moderate"})
    leased = [str(pk) for pk, _ in services._lease(size=3)]
    assert leased == [str(imminent.id), str(moderate.id), str(low.id)]
    # Leased: another sweep takes none of them until the lease ends.
    assert services._lease(size=3) == []


def test_one_failing_case_does_not_hold_back_its_batch(platform_factory, settings) -> None:
    settings.SUMMARY_ENGINE = "tests.support.engines.PickyEngine"
    summary_engine.cache_clear()
    fine = _case(platform_factory)
    broken_transcript = [{"role": "user", "text": "unreadable", "at": "2026-11-27T02:01:40Z"}]
    broken = _case(platform_factory, transcript=broken_transcript)
    try:
        with mock.patch.object(summary_build_task, "delay") as retry_alone:
            assert summaries_sweep() == 1
    finally:
        summary_engine.cache_clear()
    retry_alone.assert_called_once_with(str(broken.id), 1)
    fine.refresh_from_db()
    broken.refresh_from_db()
    assert fine.summary_status == SummaryStatus.READY
    assert broken.summary_status == SummaryStatus.PENDING
    assert broken.summary_lease_until is not None  # its own task has it now


def test_run_twice_makes_one_summary(platform_factory) -> None:
    handoff = _case(platform_factory)
    summary_build_task.apply(
        args=(
            str(handoff.id),
            handoff.transcript_version,
        )
    )
    summary_build_task.apply(
        args=(
            str(handoff.id),
            handoff.transcript_version,
        )
    )
    assert HandoffSummary.objects.filter(handoff=handoff).count() == 1
    assert (
        HandoffEvent.objects.filter(handoff_id=handoff.id, kind=EventKind.SUMMARY_READY).count()
        == 1
    )
    handoff.refresh_from_db()
    assert handoff.summary_status == SummaryStatus.READY
    assert handoff.summary_headline
    stored = HandoffSummary.objects.get(handoff=handoff)
    assert stored.engine == "rules" and stored.engine_version
    assert stored.data["headline"] == handoff.summary_headline


def test_deleted_case_is_a_quiet_no_op(platform_factory) -> None:
    handoff = _case(platform_factory)
    handoff_id, version = str(handoff.id), handoff.transcript_version
    handoff.delete()
    result = summary_build_task.apply(
        args=(
            handoff_id,
            version,
        )
    )
    assert result.successful()
    assert not HandoffSummary.objects.filter(handoff_id=handoff_id).exists()


def test_engine_error_retries_then_says_unavailable(platform_factory, settings) -> None:
    handoff = _case(platform_factory)
    settings.SUMMARY_ENGINE = "tests.support.engines.FailingEngine"
    settings.SUMMARY_MAX_RETRIES = 2
    summary_engine.cache_clear()
    FailingEngine.calls = 0
    try:
        summary_build_task.apply(
            args=(
                str(handoff.id),
                handoff.transcript_version,
            )
        )
    finally:
        summary_engine.cache_clear()
    assert FailingEngine.calls == 3  # the first try and two retries
    handoff.refresh_from_db()
    assert handoff.summary_status == SummaryStatus.UNAVAILABLE
    assert handoff.status == "queued"
    stored = HandoffSummary.objects.get(handoff=handoff)
    assert stored.status == SummaryStatus.UNAVAILABLE and "RuntimeError" in stored.error
    assert HandoffEvent.objects.filter(
        handoff_id=handoff.id, kind=EventKind.SUMMARY_FAILED
    ).exists()
    assert "summary unavailable" in render.row_html(handoff)


def test_new_messages_make_a_new_version(
    platform_factory, django_capture_on_commit_callbacks
) -> None:
    p = platform_factory()
    response = post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body())
    handoff = Handoff.objects.get(pk=response.json()["id"])
    summary_build(handoff_id=str(handoff.id), transcript_version=3)
    more = {
        "messages": [
            {
                "role": "user",
                "text": "I already took them all",
                "at": datetime.now(tz=UTC).isoformat(),
            }
        ]
    }
    with (
        mock.patch.object(summary_sweep_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        post_signed(Client(), p.url(f"/{handoff.id}/messages"), secret=p.inbound_secret, body=more)
    delay.assert_called_once_with()
    assert _due() == {str(handoff.id)}
    # The old version's task arriving late does nothing; the new one summarizes all four.
    assert summary_build(handoff_id=str(handoff.id), transcript_version=3) is None
    new = summary_build(handoff_id=str(handoff.id), transcript_version=4)
    assert new is not None and new.transcript_version == 4
    assert sorted(
        HandoffSummary.objects.filter(handoff=handoff).values_list("transcript_version", flat=True)
    ) == [3, 4]
    handoff.refresh_from_db()
    assert handoff.tier == "imminent"  # the attempt in progress raised it


def test_stale_version_task_does_nothing(platform_factory) -> None:
    handoff = _case(platform_factory)
    assert summary_build(handoff_id=str(handoff.id), transcript_version=2) is None
    assert not HandoffSummary.objects.exists()


def test_reconciler_requeues_a_lost_summary(platform_factory) -> None:
    lost = _case(platform_factory)
    done = _case(platform_factory)
    summary_build(handoff_id=str(done.id), transcript_version=done.transcript_version)
    long_ago = timezone.now() - timedelta(minutes=10)
    Handoff.objects.update(summary_requested_at=long_ago)
    recent = _case(platform_factory)  # asked for just now: not yet lost

    with mock.patch.object(summary_sweep_task, "delay") as delay:
        assert summaries_reconcile() == 1
    delay.assert_called_once_with()
    lost.refresh_from_db()
    recent.refresh_from_db()
    assert lost.summary_requested_at is not None
    assert lost.summary_requested_at > long_ago
    assert recent.summary_requested_at is not None
    assert long_ago < recent.summary_requested_at < lost.summary_requested_at
    summaries_sweep()  # the sweep the reconciler woke
    lost.refresh_from_db()
    assert lost.summary_status == SummaryStatus.READY


def test_a_killed_sweeps_lease_runs_out_and_the_reconciler_takes_it_back(
    platform_factory,
) -> None:
    lost = _case(platform_factory)
    assert len(services._lease(size=10)) == 1  # then the worker dies, holding the lease
    long_ago = timezone.now() - timedelta(minutes=10)
    with mock.patch.object(summary_sweep_task, "delay"):
        assert summaries_reconcile() == 0  # the lease still runs: a live sweep may have it
        Handoff.objects.update(summary_requested_at=long_ago, summary_lease_until=long_ago)
        assert summaries_reconcile() == 1
    assert summaries_sweep() == 1
    lost.refresh_from_db()
    assert lost.summary_status == SummaryStatus.READY


def test_messages_during_a_sweep_are_not_lost(platform_factory) -> None:
    """A sweep leased version 3; the person wrote again before it stored anything. Its stale
    summary is dropped and the new version is due at once, not when the lease runs out."""
    handoff = _case(platform_factory)
    batch = services._lease(size=10)
    assert batch == [(handoff.id, 3)]
    handoff.transcript_version = 4
    tasks.summary_request_on_commit(handoff=handoff)  # what messages_append records
    Handoff.objects.filter(pk=handoff.pk).update(transcript_version=4)
    assert services._build_batch(batch, retry_alone=tasks.summary_build_enqueue) == 0
    assert services._lease(size=10) == [(handoff.id, 4)]


def test_tier_is_the_higher_and_never_lowered(platform_factory) -> None:
    raised = _case(platform_factory, risk={"level": "moderate"}, transcript=ATTEMPT)
    summary_build(handoff_id=str(raised.id), transcript_version=1)
    raised.refresh_from_db()
    assert raised.summary_tier == "imminent"
    assert (raised.tier, raised.tier_source, raised.platform_level) == (
        "imminent",
        "summary",
        "moderate",
    )
    calm = [{"role": "user", "text": "I had a rough day at work", "at": "2026-11-27T02:01:40Z"}]
    kept = _case(platform_factory, risk={"level": "high"}, transcript=calm)
    summary_build(handoff_id=str(kept.id), transcript_version=1)
    kept.refresh_from_db()
    assert kept.summary_tier in ("low", "moderate")
    assert (kept.tier, kept.tier_source) == ("high", "platform")


def test_headline_is_labelled_machine_made_on_the_dashboard(platform_factory) -> None:
    handoff = _case(platform_factory, transcript=ATTEMPT)
    summary_build(handoff_id=str(handoff.id), transcript_version=1)
    handoff.refresh_from_db()
    html = render.row_html(handoff)
    assert 'title="Machine-made summary"' in html
    assert handoff.summary_headline.split("“")[0].strip() in html


def test_a_summary_below_the_drawn_rows_is_not_broadcast_to_dashboards(
    platform_factory, settings, django_capture_on_commit_callbacks
) -> None:
    from handoff.realtime import broadcast

    settings.QUEUE_DISPLAY_LIMIT = 1
    calm = [{"role": "user", "text": "rough day at work", "at": "2026-11-27T02:01:40Z"}]
    first = _case(platform_factory, risk={"level": "high"}, transcript=calm)
    second = _case(platform_factory, risk={"level": "high"}, transcript=calm)

    def sent_types(send_many: mock.MagicMock) -> list[str]:
        # The supervisors' floor hears of every open case; this is about the queue dashboards.
        return [
            message["type"]
            for call in send_many.call_args_list
            for _, message in call.args[0]
            if message["type"] != "floor.update"
        ]

    with mock.patch.object(broadcast, "send_many") as send_many:
        with django_capture_on_commit_callbacks(execute=True):
            summary_build(handoff_id=str(second.id), transcript_version=1)  # second: hidden
        assert sent_types(send_many) == ["case.changed"]  # only its open case page hears
        send_many.reset_mock()
        with django_capture_on_commit_callbacks(execute=True):
            summary_build(handoff_id=str(first.id), transcript_version=1)  # drawn: broadcast
        assert sent_types(send_many) == ["queue.update", "case.changed"]


def test_in_the_embedded_default_the_summary_is_built_in_process(
    platform_factory, settings, django_capture_on_commit_callbacks
) -> None:
    """Without a worker (tasks run in-process), the sweep runs right after the intake commits."""
    from config.celery import app

    eager = app.conf.task_always_eager  # read (and loaded) before anything is changed
    assert eager is False
    settings.CELERY_TASK_ALWAYS_EAGER = True
    p = platform_factory()
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_signed(
                Client(), p.url(), secret=p.inbound_secret, body=handoff_body(transcript=ATTEMPT)
            )
    finally:
        app.conf.task_always_eager = eager
    handoff = Handoff.objects.get(pk=response.json()["id"])
    assert handoff.summary_status == SummaryStatus.READY
    assert handoff.tier == "imminent" and _due() == set()
