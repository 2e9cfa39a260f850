"""Reads for the live queue. Each query's cost is independent of how many cases wait."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum

from counselors.models import User
from counselors.presence import online_staff
from handoff.models import OWNED_STATUSES, Handoff, QueueDelta, Status, Tier

# What a queue row shows (templates/queue/dashboard.html#row) and what an update says of it:
# nothing else is loaded. Personal columns and secrets stay out (each decryption costs tens of
# microseconds), and so do a dozen timestamps the row does not show (a page or a broadcast reads
# up to fifty rows, and every column costs parsing).
ROW_COLUMNS = (
    "id",
    "status",
    "tier",
    "tier_rank",
    "version",
    "queued_at",
    "breached_at",
    "summary_status",
    "summary_headline",
    "language",
    "has_phone",
    "has_location",
    "platform__name",
)
# The same, as attributes of the case (the platform's name is read through it).
ROW_FIELDS = tuple(name for name in ROW_COLUMNS if "__" not in name)


@dataclass(frozen=True)
class TierCount:
    tier: str
    label: str
    waiting: int
    oldest_queued_at: datetime | None


def queue_for(*, limit: int | None = None) -> list[Handoff]:
    """The waiting cases in claim order: tier, then time waiting. Served by the partial index
    handoff_live_queue; at most `limit` rows are read."""
    limit = settings.QUEUE_DISPLAY_LIMIT if limit is None else limit
    return list(
        Handoff.objects.filter(status=Status.QUEUED)
        .select_related("platform")
        .only(*ROW_COLUMNS)
        .order_by("-tier_rank", "queued_at", "id")[:limit]
    )


def queued_ids(*, limit: int | None = None) -> list[Any]:
    """The ids of the drawn rows (queue_for's first `limit`), from the index alone."""
    limit = settings.QUEUE_DISPLAY_LIMIT if limit is None else limit
    return list(
        Handoff.objects.filter(status=Status.QUEUED)
        .order_by("-tier_rank", "queued_at", "id")
        .values_list("id", flat=True)[:limit]
    )


# Ledger rows beyond which a count folds them into one row per tier: reading the counts then
# sums a few hundred small rows at most, however many cases wait or have passed through.
FOLD_AFTER_ROWS = 256


def tier_counts() -> list[TierCount]:
    """Waiting cases and the longest wait per tier, in one query whose cost does not grow with
    the queue: the count is the sum of the tier's ledger rows (handoff.models.QueueDelta, kept
    by the database's triggers), the longest wait one probe of the handoff_live_queue index
    per tier."""
    oldest = (
        Handoff.objects.filter(status=Status.QUEUED, tier_rank=OuterRef("tier_rank"))
        .order_by("queued_at")
        .values("queued_at")[:1]
    )
    rows = {
        row["tier_rank"]: row
        for row in QueueDelta.objects.values("tier_rank")
        .annotate(n=Sum("delta"), rows=Count("id"), oldest=Subquery(oldest))
        .order_by()
    }
    if sum(row["rows"] for row in rows.values()) > FOLD_AFTER_ROWS:
        queue_counts_fold()
    counts = []
    for tier in reversed(Tier):
        row = rows.get(tier.rank)
        counts.append(
            TierCount(
                tier=tier,
                label=tier.label,
                waiting=row["n"] if row else 0,
                oldest_queued_at=row["oldest"] if row else None,
            )
        )
    return counts


def queue_counts_fold() -> None:
    """Replace the ledger's rows by one per tier with their sum. Rows another fold holds are
    skipped, and rows appended meanwhile are not seen: either way they stay, so the sums never
    change. A write in a read, but a small one, and never in a request (the counts are read
    when an update is broadcast)."""
    with transaction.atomic():
        folded = list(
            QueueDelta.objects.select_for_update(skip_locked=True).values_list(
                "id", "tier_rank", "delta"
            )
        )
        if len(folded) <= len(Tier):
            return
        sums: dict[int, int] = {}
        for _, rank, delta in folded:
            sums[rank] = sums.get(rank, 0) + delta
        QueueDelta.objects.filter(pk__in=[pk for pk, _, _ in folded]).delete()
        QueueDelta.objects.bulk_create(
            QueueDelta(tier_rank=rank, delta=total) for rank, total in sums.items() if total
        )


def cases_of(*, counselor: User) -> QuerySet[Handoff]:
    """A counselor's open cases, the most urgent first, with what their list shows: every
    dashboard socket reads this on connect, so the query stays small."""
    return (
        Handoff.objects.filter(claimed_by=counselor, status__in=OWNED_STATUSES)
        .select_related("platform")
        .only(
            "id",
            "tier",
            "status",
            "claimed_at",
            "withdrawn_reason",
            "claimed_by",
            "contact_status",
            "contact_status_at",
            "contact_status_by",
            "platform__name",
        )
        .order_by("-tier_rank", "claimed_at")
    )


def colleagues_for_transfer(*, exclude: User) -> QuerySet[User]:
    return online_staff().exclude(pk=exclude.pk)
