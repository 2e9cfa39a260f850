"""The supervisors' floor: every open case, everyone signed in, help requests waiting and alerts
not yet acknowledged. Read in a fixed number of queries however many cases are open, and
rendered once per change (handoff.queue.notify sends it), never once per socket.

Lists show no personal data: tier, platform, status, holder and times only.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, OuterRef, Q, Subquery, Window
from django.template.loader import render_to_string
from django.utils import timezone

from counselors.models import Availability, User
from counselors.presence import online_staff
from handoff.models import (
    OPEN_STATUSES,
    OWNED_STATUSES,
    Alert,
    EmergencyCall,
    Handoff,
    HandoffEvent,
    HelpRequest,
    Status,
)

TEMPLATE = "supervision/floor.html"
# The floor draws at most this many open cases (the most urgent first); the rest are counted.
FLOOR_CASE_LIMIT = 300
FLOOR_ALERT_LIMIT = 100


@dataclass(frozen=True)
class FloorCase:
    case: Handoff
    since: datetime  # when it entered its present state
    last_activity: datetime | None
    breaches: tuple[str, ...]  # the targets it missed, in words
    help_waiting: bool


@dataclass(frozen=True)
class FloorPerson:
    person: User
    status: str  # available, away, busy
    status_label: str
    open_cases: int
    capacity: int


def _state_since(case: Handoff) -> datetime:
    if case.status == Status.QUEUED:
        return case.queued_at
    return case.claimed_at or case.updated_at


def floor_cases() -> tuple[list[FloorCase], int]:
    """Open cases, most urgent first, with the holder, the latest event and open overdue calls:
    one query for the cases, one for the open help requests."""
    last_event = (
        HandoffEvent.objects.filter(handoff_id=OuterRef("pk"))
        .order_by()
        .values("handoff_id")
        .annotate(last=Max("at"))
        .values("last")
    )
    overdue_call = EmergencyCall.objects.filter(
        handoff_id=OuterRef("pk"), contact_confirmed__isnull=True, overdue_flagged_at__isnull=False
    ).values("pk")[:1]
    base = Handoff.objects.filter(status__in=OPEN_STATUSES)
    rows = list(
        base.select_related("platform", "claimed_by")
        .only(
            "id",
            "status",
            "tier",
            "tier_rank",
            "queued_at",
            "claimed_at",
            "updated_at",
            "breached_at",
            "contact_status",
            "contact_status_at",
            "contact_status_by",
            "platform__name",
            "claimed_by__username",
            "claimed_by__display_name",
            "claimed_by__first_name",
            "claimed_by__last_name",
        )
        .annotate(
            last_activity=Subquery(last_event),
            overdue_call=Subquery(overdue_call),
            # Every open case, counted before the limit: the same one query however many.
            open_total=Window(Count("id")),
        )
        .order_by("-tier_rank", "queued_at", "id")[:FLOOR_CASE_LIMIT]
    )
    total = rows[0].open_total if rows else 0
    helped = set(
        HelpRequest.objects.filter(
            answered_at__isnull=True, handoff_id__in=[h.pk for h in rows]
        ).values_list("handoff_id", flat=True)
    )
    cases = []
    for h in rows:
        breaches = []
        if h.breached_at:
            breaches.append("claim target missed")
        if getattr(h, "overdue_call", None):
            breaches.append("emergency call not confirmed")
        cases.append(
            FloorCase(
                case=h,
                since=_state_since(h),
                last_activity=getattr(h, "last_activity", None),
                breaches=tuple(breaches),
                help_waiting=h.pk in helped,
            )
        )
    return cases, total


def floor_people() -> list[FloorPerson]:
    """Everyone signed in, with their open cases counted in the same query."""
    capacity = settings.COUNSELOR_MAX_OPEN_CASES
    people = online_staff().annotate(
        open_cases=Count("claimed_handoffs", filter=Q(claimed_handoffs__status__in=OWNED_STATUSES))
    )
    out = []
    for person in people:
        n = getattr(person, "open_cases", 0)
        if person.availability == Availability.AWAY:
            status, label = "away", "away"
        elif n >= capacity:
            status, label = "busy", "busy (at capacity)"
        else:
            status, label = "available", "available"
        out.append(FloorPerson(person, status, label, n, capacity))
    return out


def help_waiting() -> list[HelpRequest]:
    return list(
        HelpRequest.objects.filter(answered_at__isnull=True)
        .select_related("asked_by", "handoff__platform")
        .only(
            "id",
            "handoff_id",
            "asked_at",
            "asked_by__username",
            "asked_by__display_name",
            "asked_by__first_name",
            "asked_by__last_name",
            "handoff__tier",
            "handoff__platform__name",
        )
        .order_by("asked_at", "id")
    )


def alerts_open() -> list[Alert]:
    return list(
        Alert.objects.filter(acknowledged_at__isnull=True)
        .select_related("handoff")
        .only("id", "kind", "text", "created_at", "handoff__id", "handoff__tier")
        .order_by("-created_at", "-id")[:FLOOR_ALERT_LIMIT]
    )


def floor_context() -> dict[str, Any]:
    cases, total = floor_cases()
    people = floor_people()
    helps = help_waiting()
    return {
        "floor_cases": cases,
        "floor_total": total,
        "floor_more": max(0, total - len(cases)),
        "people": people,
        "helps": helps,
        "alerts": alerts_open(),
        "capacity": settings.COUNSELOR_MAX_OPEN_CASES,
        "assignable": [p.person for p in people],
        "now": timezone.now(),
    }


def floor_payload(*, sound: bool = False) -> dict[str, Any]:
    """The whole floor as one message: the page swaps each part. `sound`: something arrived
    that a supervisor must hear (a help request)."""
    context = floor_context()
    return {
        "type": "floor.snapshot",
        "html": render_to_string(f"{TEMPLATE}#floor", context),
        "help_ids": [str(h.pk) for h in context["helps"]],
        "sound": sound,
        "server_now": timezone.now().isoformat(),
    }
