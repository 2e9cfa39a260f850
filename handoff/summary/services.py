"""Building and storing machine summaries. The queue never waits for them."""

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from handoff.events import event_build, event_record, events_record
from handoff.jobs import CaseRun
from handoff.models import (
    OPEN_STATUSES,
    EventKind,
    Handoff,
    HandoffEvent,
    HandoffSummary,
    MessageRole,
    Status,
    SummaryStatus,
    Tier,
    TierSource,
    TranscriptMessage,
)
from handoff.queue.notify import CaseChange, case_changed_on_commit, cases_changed_on_commit
from handoff.summary.engine import SummaryEngine
from handoff.summary.types import Summary, TranscriptLine, tier_of

logger = logging.getLogger(__name__)


@cache
def summary_engine() -> SummaryEngine:
    """The engine named in SUMMARY_ENGINE; every summary records its name and version."""
    engine: SummaryEngine = import_string(settings.SUMMARY_ENGINE)()
    return engine


def summary_request_record(*, handoff: Handoff) -> None:
    """Record that the current transcript wants a summary. The database says which cases are
    due (their transcript is newer than their last summary); scheduling the sweep that builds
    them is handoff.summary.tasks.summary_request_on_commit."""
    Handoff.objects.filter(pk=handoff.pk).update(
        summary_requested_version=handoff.transcript_version,
        summary_requested_at=timezone.now(),
        summary_lease_until=None,  # a sweep building the old version must not hold it
    )


def summaries_build_due(
    *,
    budget_s: float,
    hand_over: Callable[[], None],
    retry_alone: Callable[[str, int], None],
) -> int:
    """Build every due summary, a leased batch at a time, most urgent tier first. Two workers
    sweeping at once take different batches. Out of time, `hand_over()` asks for a fresh sweep;
    a case the engine fails on goes to `retry_alone(handoff_id, version)`. Returns how many
    summaries were stored."""
    stored = 0
    deadline = time.monotonic() + budget_s
    while batch := _lease(size=settings.SUMMARY_BATCH_SIZE):
        stored += _build_batch(batch, retry_alone=retry_alone)
        if time.monotonic() > deadline:
            hand_over()  # the rest in a fresh task, inside the time limits
            break
    return stored


def _lease(*, size: int) -> list[tuple[Any, int]]:
    """Take up to `size` due cases for SUMMARY_LEASE_SECONDS: (id, transcript version)."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            Handoff.objects.select_for_update(skip_locked=True)
            .filter(status__in=OPEN_STATUSES, summarized_version__lt=F("transcript_version"))
            .filter(Q(summary_lease_until__isnull=True) | Q(summary_lease_until__lt=now))
            .order_by("-tier_rank", "queued_at")
            .values_list("pk", "transcript_version")[:size]
        )
        if due:
            Handoff.objects.filter(pk__in=[pk for pk, _ in due]).update(
                summary_lease_until=now + timedelta(seconds=settings.SUMMARY_LEASE_SECONDS)
            )
    return due


def _build_batch(batch: list[tuple[Any, int]], *, retry_alone: Callable[[str, int], None]) -> int:
    """Summarize a leased batch: two reads, the engine, one write. A case the engine fails on
    goes to `retry_alone` (its own task, which retries and then says "unavailable")."""
    versions = dict(batch)
    risk = {
        pk: (level, score)
        for pk, level, score, version in Handoff.objects.filter(pk__in=versions).values_list(
            "pk", "platform_level", "risk_score", "transcript_version"
        )
        if version == versions[pk]  # new messages since the lease: the next sweep has them
    }
    lines = _transcripts(list(risk))
    engine = summary_engine()
    built: dict[Any, Summary] = {}
    for pk, (level, score) in risk.items():
        try:
            built[pk] = engine.summarize(
                transcript=lines[pk],
                platform_level=tier_of(level),
                platform_score=score,
            )
        except Exception as exc:
            logger.warning("summary of %s failed; retried alone (%s)", pk, type(exc).__name__)
            retry_alone(str(pk), versions[pk])
    if not built:
        return 0
    try:
        return len(_store(built, versions))
    except Exception as exc:
        # One case the batch cannot write must not cost the others their summaries.
        logger.warning(
            "summary batch of %d not stored (%s); one by one", len(built), type(exc).__name__
        )
    run = CaseRun("summary sweep")
    stored = 0
    for pk, summary in built.items():
        with run.case(pk):
            stored += len(_store({pk: summary}, versions))
    run.finish()
    return stored


# What the engine reads of a case: the person's and the platform assistant's messages, in seq
# order (a counselor's relayed words are not risk evidence). An Evidence's `message` indexes
# this reading, not the transcript: evidence_seqs() turns one into the other.
ENGINE_ROLES = (MessageRole.USER, MessageRole.ASSISTANT)


def evidence_seqs(summary: dict[str, Any], messages: list[TranscriptMessage]) -> dict[str, Any]:
    """The stored summary with `seq`, the transcript message each evidence span quotes, beside
    the engine's index (None if the index is not among `messages`, which are in seq order).
    Messages are only ever appended, so an older summary's indexes stay true."""
    seqs = [m.seq for m in messages if m.role in ENGINE_ROLES]

    def walk(value: Any) -> Any:
        if isinstance(value, list):
            return [walk(v) for v in value]
        if not isinstance(value, dict):
            return value
        out = {k: walk(v) for k, v in value.items()}
        index = value.get("message")
        if isinstance(index, int) and "text" in value:  # an Evidence
            out["seq"] = seqs[index] if 0 <= index < len(seqs) else None
        return out

    result: dict[str, Any] = walk(summary)
    return result


def _transcripts(handoff_ids: list[Any]) -> dict[Any, list[TranscriptLine]]:
    """What the engine reads of each case (ENGINE_ROLES), in one query."""
    lines: dict[Any, list[TranscriptLine]] = {pk: [] for pk in handoff_ids}
    for handoff_id, role, text in (
        TranscriptMessage.objects.filter(handoff_id__in=handoff_ids, role__in=ENGINE_ROLES)
        .order_by("handoff_id", "seq")
        .values_list("handoff_id", "role", "text")
    ):
        lines[handoff_id].append(TranscriptLine(role=role, text=text))
    return lines


def summary_build(*, handoff_id: str, transcript_version: int) -> HandoffSummary | None:
    """Summarize one transcript version. Idempotent: a duplicate, a stale version or a deleted
    case is a quiet no-op. Engine errors propagate so the task can retry."""
    handoff = (
        Handoff.objects.only("id", "platform_level", "risk_score", "transcript_version")
        .filter(pk=handoff_id)
        .first()
    )
    if handoff is None or handoff.transcript_version != transcript_version:
        return None
    existing = HandoffSummary.objects.filter(
        handoff=handoff, transcript_version=transcript_version
    ).first()
    if existing is not None:
        return existing
    summary = summary_engine().summarize(
        transcript=_transcripts([handoff.pk])[handoff.pk],
        platform_level=tier_of(handoff.platform_level),
        platform_score=handoff.risk_score,
    )
    _store({handoff.pk: summary}, {handoff.pk: transcript_version})
    # None when the transcript moved on meanwhile: the newer version's summary is due instead.
    return HandoffSummary.objects.filter(
        handoff=handoff, transcript_version=transcript_version
    ).first()


def _store(built: dict[Any, Summary], versions: dict[Any, int]) -> dict[Any, HandoffSummary]:
    """Write summaries of the versions given, in one transaction: each case's summary, its
    headline and tier on the row, an event. A case whose transcript moved on, or that another
    worker summarized first, is left alone. Dashboards hear of it after commit."""
    stored: dict[Any, HandoffSummary] = {}
    updated: list[Handoff] = []
    events: list[HandoffEvent] = []
    changes: list[CaseChange] = []
    now = timezone.now()
    with transaction.atomic():
        # Row locks in a fixed order: two batches never wait on each other in a cycle.
        for handoff in (
            Handoff.objects.select_for_update()
            .only(*_STORE_COLUMNS)
            .filter(pk__in=built)
            .order_by("pk")
        ):
            version = versions[handoff.pk]
            if handoff.transcript_version != version or handoff.summarized_version >= version:
                continue
            summary = built[handoff.pk]
            stored[handoff.pk] = HandoffSummary(
                handoff=handoff,
                transcript_version=version,
                status=SummaryStatus.READY,
                engine=summary.engine,
                engine_version=summary.engine_version,
                suggested_tier=summary.suggested_tier,
                data=summary.model_dump(mode="json"),
            )
            previous_tier = handoff.tier
            handoff.summary_status = SummaryStatus.READY
            handoff.summary_headline = summary.headline
            handoff.summary_tier = summary.suggested_tier
            if handoff.tier_source != TierSource.COUNSELOR:
                # The higher of what is known; a summary never lowers a tier by itself.
                handoff.tier = Tier.max(
                    handoff.tier, handoff.platform_level, summary.suggested_tier
                )
                if handoff.tier != previous_tier:
                    handoff.tier_source = TierSource.SUMMARY
            if not handoff.language and summary.language:
                handoff.language = summary.language[:16]
            handoff.summarized_version = version
            handoff.summary_lease_until = None
            handoff.version += 1  # the row is locked: no lost update
            handoff.updated_at = now
            updated.append(handoff)
            events.append(
                event_build(
                    handoff=handoff,
                    kind=EventKind.SUMMARY_READY,
                    data={
                        "transcript_version": version,
                        "engine": f"{summary.engine} {summary.engine_version}",
                        "suggested_tier": summary.suggested_tier,
                        "tier": {"from": previous_tier, "to": handoff.tier},
                    },
                )
            )
            moved = handoff.status != Status.QUEUED or handoff.tier != previous_tier
            changes.append(
                CaseChange(
                    str(handoff.pk),
                    owners=(handoff.claimed_by_id,) if handoff.claimed_by_id else (),
                    # Below the drawn rows and in the same tier, no dashboard shows a thing
                    # that changed: in a burst of thousands only the drawn ones are rendered.
                    shown=True if moved else None,
                )
            )
        if not updated:
            return {}
        # Every writer of summaries locks the case and moves summarized_version, so no row of
        # these versions exists; should one ever, it stands, and the batch is not lost for it.
        HandoffSummary.objects.bulk_create(stored.values(), ignore_conflicts=True)
        Handoff.objects.bulk_update(updated, _SUMMARY_FIELDS)
        events_record(events)
        cases_changed_on_commit(changes)
    return stored


# What storing a summary reads of its case's row: no personal data, and none of its times.
_STORE_COLUMNS = (
    "id",
    "platform",
    "status",
    "claimed_by",
    "tier",
    "tier_source",
    "platform_level",
    "language",
    "transcript_version",
    "summarized_version",
    "version",
)
# What a stored summary changes on its case's row.
_SUMMARY_FIELDS = [
    "summary_status",
    "summary_headline",
    "summary_tier",
    "tier",
    "tier_source",
    "language",
    "summarized_version",
    "summary_lease_until",
    "version",
    "updated_at",
]


def summary_mark_unavailable(*, handoff_id: str, transcript_version: int, reason: str) -> None:
    """After the last retry: the counselor sees "summary unavailable" and why; the case is
    already in the queue and stays there."""
    with transaction.atomic():
        handoff = (
            Handoff.objects.select_for_update()
            .only(*_STORE_COLUMNS, "summary_status")
            .filter(pk=handoff_id)
            .first()
        )
        if handoff is None or handoff.transcript_version != transcript_version:
            return
        try:
            with transaction.atomic():
                stored = HandoffSummary.objects.create(
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
        handoff.summarized_version = max(handoff.summarized_version, transcript_version)
        handoff.summary_lease_until = None
        handoff.version += 1
        handoff.save(
            update_fields=[
                "summary_status",
                "summarized_version",
                "summary_lease_until",
                "version",
                "updated_at",
            ]
        )
        event_record(
            handoff=handoff,
            kind=EventKind.SUMMARY_FAILED,
            # Why is on the summary's row; the log names the row.
            data={"transcript_version": transcript_version, "summary": stored.pk},
        )
        owners = [handoff.claimed_by_id] if handoff.claimed_by_id else []
        case_changed_on_commit(handoff=handoff, owners=owners)


def summaries_overdue_mark() -> int:
    """Find summaries asked for and never built (a worker killed mid-batch, a lost wake-up, a
    broker outage) and mark them asked for again now. Returns how many were waiting too long;
    the caller wakes a sweep for them."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.SUMMARY_RECONCILE_AFTER_SECONDS)
    count = (
        Handoff.objects.filter(
            status__in=OPEN_STATUSES, summarized_version__lt=F("transcript_version")
        )
        .filter(Q(summary_requested_at__lt=cutoff) | Q(summary_requested_at__isnull=True))
        .filter(Q(summary_lease_until__isnull=True) | Q(summary_lease_until__lt=now))
        .update(summary_requested_at=now)
    )
    if count:
        logger.warning("%d summaries overdue; sweeping again", count)
    return count
