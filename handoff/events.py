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
    return HandoffEvent.objects.create(
        handoff_id=handoff.id,
        platform_id=handoff.platform_id,
        actor=actor,
        kind=kind,
        at=timezone.now(),
        data=data or {},
    )
