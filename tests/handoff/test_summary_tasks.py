"""The summary task: idempotent per transcript version, retried, never leaving a case stuck."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from handoff.models import EventKind, Handoff, HandoffEvent, HandoffSummary, SummaryStatus
from handoff.queue import render
from handoff.summary.services import summaries_reconcile, summary_build, summary_engine
from handoff.summary.tasks import summary_build_task
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


def test_intake_asks_for_a_summary_after_commit(
    platform_factory, django_capture_on_commit_callbacks
) -> None:
    p = platform_factory()
    with (
        mock.patch.object(summary_build_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body())
    handoff = Handoff.objects.get(pk=response.json()["id"])
    delay.assert_called_once_with(str(handoff.id), 3)
    # The case is waiting before any summary exists.
    assert handoff.status == "queued" and handoff.summary_status == SummaryStatus.PENDING


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
        mock.patch.object(summary_build_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        post_signed(Client(), p.url(f"/{handoff.id}/messages"), secret=p.inbound_secret, body=more)
    delay.assert_called_once_with(str(handoff.id), 4)
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

    with mock.patch.object(summary_build_task, "delay") as delay:
        assert summaries_reconcile() == 1
    delay.assert_called_once_with(str(lost.id), lost.transcript_version)
    lost.refresh_from_db()
    assert lost.summary_requested_at is not None
    assert lost.summary_requested_at > long_ago
    assert recent.summary_status == SummaryStatus.PENDING


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
    with (
        mock.patch.object(broadcast, "broadcast_case") as queue_update,
        mock.patch.object(broadcast, "send_many") as page_only,
    ):
        with django_capture_on_commit_callbacks(execute=True):
            summary_build(handoff_id=str(second.id), transcript_version=1)  # second: hidden
        assert (queue_update.call_count, page_only.call_count) == (0, 1)
        with django_capture_on_commit_callbacks(execute=True):
            summary_build(handoff_id=str(first.id), transcript_version=1)  # drawn: broadcast
        assert queue_update.call_count == 1
