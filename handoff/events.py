"""The append-only event log. Every state change writes one in the same transaction."""

from typing import Any

from django.utils import timezone

from counselors.models import User
from handoff.models import EventKind, Handoff, HandoffEvent


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
