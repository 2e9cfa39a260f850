"""Follow-ups: whose they are, which are due, and which went to the floor because their
counselor is off shift (no live console). Lists read no personal field."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from counselors.models import PresenceConnection, User
from handoff.access import is_supervisor
from handoff.models import FollowUp


def _on_shift() -> Exists:
    """The follow-up's counselor has a live console (the presence the dashboard keeps)."""
    cutoff = timezone.now() - timedelta(seconds=settings.PRESENCE_TIMEOUT_SECONDS)
    return Exists(
        PresenceConnection.objects.filter(user=OuterRef("counselor"), last_seen__gte=cutoff)
    )


def open_follow_ups() -> QuerySet[FollowUp]:
    return (
        FollowUp.objects.filter(done_at__isnull=True)
        .annotate(counselor_on_shift=_on_shift())
        .select_related("handoff__platform", "counselor")
        # The case's list columns only: nothing encrypted is decrypted for a list.
        .only(
            "id",
            "due_at",
            "reminded_at",
            "done_at",
            "counselor",
            "handoff__id",
            "handoff__tier",
            "handoff__status",
            "handoff__outcome",
            "handoff__closed_at",
            "handoff__platform",
        )
        .order_by("due_at", "id")
    )


def _floor(now: object) -> Q:
    return Q(due_at__lte=now, counselor_on_shift=False)


@dataclass(frozen=True)
class FollowUpLists:
    due: list[FollowUp]
    upcoming: list[FollowUp]
    floor: list[FollowUp]
    everyone: list[FollowUp]  # supervisors: every open follow-up


def follow_up_lists(user: User, *, limit: int = 200) -> FollowUpLists:
    now = timezone.now()
    qs = open_follow_ups()
    mine = qs.filter(counselor=user)
    return FollowUpLists(
        due=list(mine.filter(due_at__lte=now)[:limit]),
        upcoming=list(mine.filter(due_at__gt=now)[:limit]),
        floor=list(qs.filter(_floor(now)).exclude(counselor=user)[:limit]),
        everyone=list(qs[:limit]) if is_supervisor(user) else [],
    )


def follow_ups_due_count(user: User) -> int:
    """For the navigation, one query: the user's own due follow-ups and the floor's."""
    now = timezone.now()
    counts = (
        FollowUp.objects.filter(done_at__isnull=True, due_at__lte=now)
        .annotate(counselor_on_shift=_on_shift())
        .aggregate(
            mine=Count("id", filter=Q(counselor=user)),
            floor=Count("id", filter=Q(counselor_on_shift=False) & ~Q(counselor=user)),
        )
    )
    return int(counts["mine"] or 0) + int(counts["floor"] or 0)


def on_floor(follow_up: FollowUp) -> bool:
    """Due, not done, and its counselor off shift: anyone on shift may take it."""
    if follow_up.done_at is not None or follow_up.due_at > timezone.now():
        return False
    return not open_follow_ups().filter(Q(pk=follow_up.pk, counselor_on_shift=True)).exists()
