"""Building and storing machine summaries. The queue never waits for them."""

import logging
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from handoff.events import event_record
from handoff.models import (
    OPEN_STATUSES,
    EventKind,
    Handoff,
    HandoffSummary,
    Role,
    Status,
    SummaryStatus,
    TierSource,
    tier_max,
)
from handoff.realtime.broadcast import case_changed_on_commit, case_page_changed_on_commit
from handoff.summary.engine import SummaryEngine
from handoff.summary.types import TranscriptLine

logger = logging.getLogger(__name__)


@cache
def summary_engine() -> SummaryEngine:
    """The engine named in SUMMARY_ENGINE; every summary records its name and version."""
    engine: SummaryEngine = import_string(settings.SUMMARY_ENGINE)()
    return engine


def summary_request_on_commit(*, handoff: Handoff, record: bool = True) -> None:
    """Ask for a summary of the current transcript once the caller's transaction commits.
    `record=False` when the caller already wrote the request's version and time on the row."""
    from handoff.summary.tasks import summary_build_task

    version = handoff.transcript_version
    if record:
        Handoff.objects.filter(pk=handoff.pk).update(
            summary_requested_version=version, summary_requested_at=timezone.now()
        )
    handoff_id = str(handoff.id)
    transaction.on_commit(lambda: _enqueue(summary_build_task, handoff_id, version))


def _enqueue(task: object, handoff_id: str, version: int) -> None:
    try:
        task.delay(handoff_id, version)  # type: ignore[attr-defined]
    except Exception as exc:
        # The broker is down: the reconciler asks again later. The case is already queued.
        logger.warning("summary for %s not enqueued (%s)", handoff_id, type(exc).__name__)


def _transcript(handoff: Handoff) -> list[TranscriptLine]:
    return [
        TranscriptLine(role=m.role, text=m.text)
        for m in handoff.messages.filter(role__in=[Role.USER, Role.ASSISTANT]).order_by("seq")
    ]


def summary_build(*, handoff_id: str, transcript_version: int) -> HandoffSummary | None:
    """Summarize one transcript version. Idempotent: a duplicate, a stale version or a deleted
    case is a quiet no-op. Engine errors propagate so the task can retry."""
    handoff = Handoff.objects.filter(pk=handoff_id).first()
    if handoff is None or handoff.transcript_version != transcript_version:
        return None
    existing = HandoffSummary.objects.filter(
        handoff=handoff, transcript_version=transcript_version
    ).first()
    if existing is not None:
        return existing
    engine = summary_engine()
    summary = engine.summarize(
        transcript=_transcript(handoff),
        platform_level=handoff.platform_level,  # type: ignore[arg-type]
        platform_score=handoff.risk_score,
    )
    with transaction.atomic():
        locked = Handoff.objects.select_for_update().filter(pk=handoff_id).first()
        if locked is None or locked.transcript_version != transcript_version:
            return None
        try:
            with transaction.atomic():
                stored = HandoffSummary.objects.create(
                    handoff=locked,
                    transcript_version=transcript_version,
                    status=SummaryStatus.READY,
                    engine=summary.engine,
                    engine_version=summary.engine_version,
                    suggested_tier=summary.suggested_tier,
                    data=summary.model_dump(mode="json"),
                )
        except IntegrityError:
            return HandoffSummary.objects.get(handoff=locked, transcript_version=transcript_version)
        previous_tier = locked.tier
        update = ["summary_status", "summary_headline", "summary_tier", "version", "updated_at"]
        locked.summary_status = SummaryStatus.READY
        locked.summary_headline = summary.headline
        locked.summary_tier = summary.suggested_tier
        if locked.tier_source != TierSource.COUNSELOR:
            # The higher of what is known; a summary never lowers a tier by itself.
            locked.tier = tier_max(locked.tier, locked.platform_level, summary.suggested_tier)
            if locked.tier != previous_tier:
                locked.tier_source = TierSource.SUMMARY
                update += ["tier", "tier_source"]
        if not locked.language and summary.language:
            locked.language = summary.language[:16]
            update.append("language")
        locked.version = F("version") + 1
        locked.save(update_fields=update)
        locked.refresh_from_db(fields=["version"])
        event_record(
            handoff=locked,
            kind=EventKind.SUMMARY_READY,
            data={
                "transcript_version": transcript_version,
                "engine": f"{summary.engine} {summary.engine_version}",
                "suggested_tier": summary.suggested_tier,
                "tier": {"from": previous_tier, "to": locked.tier},
            },
        )
        owners = [locked.claimed_by_id] if locked.claimed_by_id else []
        if _shown_on_dashboards(locked, tier_changed=locked.tier != previous_tier):
            case_changed_on_commit(handoff=locked, owners=owners, event="handoff.summary")
        else:
            # Below the drawn rows and in the same tier: no dashboard shows a thing that
            # changed, so only an open case page hears of it. In a burst of thousands this
            # spares a render and a broadcast per summary.
            case_page_changed_on_commit(handoff=locked)
    return stored


def _shown_on_dashboards(handoff: Handoff, *, tier_changed: bool) -> bool:
    if handoff.status != Status.QUEUED or tier_changed:
        return True
    from handoff.intake.services import queue_position

    limit = settings.QUEUE_DISPLAY_LIMIT
    position = queue_position(handoff=handoff, cap=limit)
    return position is not None and position <= limit


def summary_mark_unavailable(*, handoff_id: str, transcript_version: int, reason: str) -> None:
    """After the last retry: the counselor sees "summary unavailable" and why; the case is
    already in the queue and stays there."""
    with transaction.atomic():
        handoff = Handoff.objects.select_for_update().filter(pk=handoff_id).first()
        if handoff is None or handoff.transcript_version != transcript_version:
            return
        try:
            with transaction.atomic():
                HandoffSummary.objects.create(
                    handoff=handoff,
                    transcript_version=transcript_version,
                    status=SummaryStatus.UNAVAILABLE,
                    engine=getattr(summary_engine(), "name", "?"),
                    engine_version=getattr(summary_engine(), "version", "?"),
                    error=reason[:300],
                )
        except IntegrityError:
            return
        if handoff.summary_status != SummaryStatus.READY:
            handoff.summary_status = SummaryStatus.UNAVAILABLE
        handoff.version += 1
        handoff.save(update_fields=["summary_status", "version", "updated_at"])
        event_record(
            handoff=handoff,
            kind=EventKind.SUMMARY_FAILED,
            data={"transcript_version": transcript_version, "reason": reason[:300]},
        )
        owners = [handoff.claimed_by_id] if handoff.claimed_by_id else []
        case_changed_on_commit(handoff=handoff, owners=owners, event="handoff.summary")


def summaries_reconcile() -> int:
    """Ask again for summaries that were asked for and never arrived (a worker killed between
    commit and enqueue, a broker outage). Returns how many were asked for again."""
    from handoff.summary.tasks import summary_build_task

    cutoff = timezone.now() - timedelta(seconds=settings.SUMMARY_RECONCILE_AFTER_SECONDS)
    summarized = HandoffSummary.objects.filter(
        handoff=OuterRef("pk"), transcript_version=OuterRef("transcript_version")
    )
    stale = (
        Handoff.objects.filter(status__in=OPEN_STATUSES)
        .filter(Q(summary_requested_at__lt=cutoff) | Q(summary_requested_at__isnull=True))
        .filter(~Exists(summarized))
        .values_list("pk", "transcript_version")[:500]
    )
    count = 0
    for pk, version in list(stale):
        Handoff.objects.filter(pk=pk).update(
            summary_requested_version=version, summary_requested_at=timezone.now()
        )
        _enqueue(summary_build_task, str(pk), version)
        count += 1
    return count
