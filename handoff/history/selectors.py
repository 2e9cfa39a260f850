"""Case history: which cases a staff member may list, filtered. No personal field is read."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast

from counselors.models import User
from handoff.access import is_supervisor
from handoff.models import Handoff, HandoffEvent


@dataclass(frozen=True)
class HistoryFilter:
    q: str = ""
    status: str = ""
    outcome: str = ""
    platform: str = ""  # slug
    tier: str = ""
    period_from: date | None = None
    period_to: date | None = None
    counselor: int | None = None


def console_day_start(day: date) -> datetime:
    """Midnight of a day in the console's time zone (a day's end is the next day's start)."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def cases_visible_to(user: User) -> QuerySet[Handoff]:
    """Supervisors: every case. A counselor: the cases they held (a closed case keeps its
    last holder) or did anything on (claimed then transferred, a note, a follow-up ...)."""
    if is_supervisor(user):
        return Handoff.objects.all()
    acted = HandoffEvent.objects.filter(handoff_id=OuterRef("pk"), actor=user)
    return Handoff.objects.filter(Q(claimed_by=user) | Exists(acted))


def case_history(user: User, f: HistoryFilter) -> QuerySet[Handoff]:
    qs = cases_visible_to(user)
    if f.q:
        # The case id (or its start), as shown on the case page: no personal field is searched.
        qs = qs.alias(id_text=Cast("id", CharField())).filter(id_text__startswith=f.q)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.outcome:
        qs = qs.filter(outcome=f.outcome)
    if f.platform:
        qs = qs.filter(platform__slug=f.platform)
    if f.tier:
        qs = qs.filter(tier=f.tier)
    if f.period_from:
        qs = qs.filter(received_at__gte=console_day_start(f.period_from))
    if f.period_to:
        qs = qs.filter(received_at__lt=console_day_start(f.period_to + timedelta(days=1)))
    if f.counselor is not None:
        qs = qs.filter(claimed_by_id=f.counselor)
    # Only the list's own columns: the encrypted fields are never decrypted for a list.
    return (
        qs.select_related("platform", "claimed_by")
        .only(
            "id",
            "status",
            "tier",
            "outcome",
            "received_at",
            "claimed_at",
            "closed_at",
            "withdrawn_at",
            "updated_at",
            "platform",
            "claimed_by",
        )
        .order_by("-received_at", "-id")
    )
