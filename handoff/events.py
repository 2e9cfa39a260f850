"""The append-only event log. Every state change writes one in the same transaction."""

import logging
from datetime import timedelta
from typing import Any

from django.utils import timezone

from counselors.models import User
from handoff.models import EventKind, Handoff, HandoffEvent

logger = logging.getLogger(__name__)

# An open case page fetches its changing part again on every change to the case: one "viewed"
# event per fetch would bury the log. Views by one person of one case within this window share
# one event (the page load records its own, so a refresh soon after it adds nothing).
VIEW_SHARED_WINDOW = timedelta(minutes=5)


def event_record(
    *,
    handoff: Handoff,
    kind: EventKind,
    actor: User | None = None,
    data: dict[str, Any] | None = None,
) -> HandoffEvent:
    """Append an event. `data` holds ids, statuses and counts, never personal data."""
    event = event_build(handoff=handoff, kind=kind, actor=actor, data=data)
    event.save(force_insert=True)
    return event


def event_build(
    *,
    handoff: Handoff,
    kind: EventKind,
    actor: User | None = None,
    data: dict[str, Any] | None = None,
) -> HandoffEvent:
    """An unsaved event, for writers that insert many at once with bulk_create."""
    return HandoffEvent(
        handoff_id=handoff.id,
        platform_id=handoff.platform_id,
        actor=actor,
        kind=kind,
        at=timezone.now(),
        data=data or {},
    )


def view_record_shared(*, handoff: Handoff, actor: User, door: str) -> HandoffEvent | None:
    """A "viewed" event, unless this person already has one on this case within
    VIEW_SHARED_WINDOW. One indexed read (the case's events); two refreshes at the same instant
    may both record, which only adds a line."""
    since = timezone.now() - VIEW_SHARED_WINDOW
    recent = HandoffEvent.objects.filter(
        handoff_id=handoff.id, actor=actor, kind=EventKind.VIEWED, at__gte=since
    )
    if recent.exists():
        return None
    return event_record(handoff=handoff, kind=EventKind.VIEWED, actor=actor, data={"door": door})


def refusal_record(*, handoff: Handoff, actor: User, door: str) -> HandoffEvent:
    """Someone was refused a case that is not theirs: a log line (ids and the door only) and an
    event, so a supervisor reviewing the case sees who tried."""
    logger.warning(
        "access refused: user=%s case=%s door=%s",
        actor.pk,
        handoff.id,
        door,
        extra={"user_id": actor.pk, "handoff_id": str(handoff.id), "door": door},
    )
    return event_record(
        handoff=handoff, kind=EventKind.ACCESS_REFUSED, actor=actor, data={"door": door}
    )
