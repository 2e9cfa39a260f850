"""Reads for the live queue. Each query's cost is independent of how many cases wait."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, QuerySet

from counselors.models import User
from counselors.presence import online_staff
from handoff.models import OWNED_STATUSES, Handoff, Status, Tier

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


def tier_counts() -> list[TierCount]:
    """Waiting cases and the longest wait per tier, in one aggregate that reads only columns of
    the handoff_live_queue index (tier_rank, queued_at), so PostgreSQL can answer from it."""
    rows = {
        row["tier_rank"]: row
        for row in Handoff.objects.filter(status=Status.QUEUED)
        .values("tier_rank")
        .annotate(n=Count("tier_rank"), oldest=Min("queued_at"))
        .order_by()
    }
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
