"""The audit trail as supervisors read it: events filtered by person, case, kind and period, and
one case's history. Events hold ids, kinds and fields, never personal data."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from handoff.chain import CONSOLE_CHAIN
from handoff.history.selectors import console_day_start
from handoff.models import EventKind, HandoffEvent

# What a platform did (no staff member acts): the history names the platform as the actor.
PLATFORM_KINDS = frozenset(
    {
        EventKind.RECEIVED,
        EventKind.DUPLICATE_DELIVERY,
        EventKind.MESSAGES_ADDED,
        EventKind.WITHDRAWN,
        EventKind.WITHDRAW_AFTER_CLAIM,
    }
)
# A case page shows this many of its newest events; /audit/?case= shows them all.
CASE_TRACE_LIMIT = 200


@dataclass(frozen=True)
class AuditFilter:
    person: int | None = None
    case: UUID | None = None
    kind: str = ""
    period_from: date | None = None
    period_to: date | None = None

    def as_data(self) -> dict[str, Any]:
        """The filter as an audit read's event keeps it: ids, a kind and days."""
        values = {
            "person": self.person,
            "case": str(self.case) if self.case else None,
            "kind": self.kind or None,
            "from": self.period_from.isoformat() if self.period_from else None,
            "to": self.period_to.isoformat() if self.period_to else None,
        }
        return {k: v for k, v in values.items() if v is not None}


def audit_events(f: AuditFilter) -> QuerySet[HandoffEvent]:
    """Newest first (the handoff_event_at index; by person, handoff_event_actor_at)."""
    events = HandoffEvent.objects.select_related("actor", "platform")
    if f.person is not None:
        events = events.filter(actor_id=f.person)
    if f.case is not None:
        events = events.filter(handoff_id=f.case)
    if f.kind:
        events = events.filter(kind=f.kind)
    if f.period_from:
        events = events.filter(at__gte=console_day_start(f.period_from))
    if f.period_to:
        events = events.filter(at__lt=console_day_start(f.period_to + timedelta(days=1)))
    return events.order_by("-at", "-id")


def case_trace(handoff_id: UUID) -> tuple[list[HandoffEvent], int]:
    """A case's newest events, oldest first, and how many it has in all."""
    events = HandoffEvent.objects.filter(handoff_id=handoff_id)
    newest = list(events.select_related("actor", "platform").order_by("-seq")[:CASE_TRACE_LIMIT])
    newest.reverse()
    total = newest[-1].seq if newest else 0  # a chain's seq counts its events
    return newest, total


@dataclass(frozen=True)
class AuditRow:
    """One event as the audit viewer and a case's history draw it."""

    event: HandoffEvent
    who: str
    console: bool  # an event of the console itself, not of a case
    fields: list[tuple[str, str]]


def audit_rows(events: Iterable[HandoffEvent]) -> list[AuditRow]:
    return [
        AuditRow(event=e, who=who(e), console=e.handoff_id == CONSOLE_CHAIN, fields=fields(e.data))
        for e in events
    ]


def who(event: HandoffEvent) -> str:
    if event.actor is not None:
        return str(event.actor)
    if event.kind in PLATFORM_KINDS and event.platform is not None:
        return f"{event.platform.name} (platform)"
    return "the console"


def fields(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    """An event's data as (field, value) lines: nested keys joined with dots."""
    if not isinstance(data, dict):
        return [(prefix or "value", _value(data))]
    lines: list[tuple[str, str]] = []
    for key in sorted(data):
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(data[key], dict) and data[key]:
            lines += fields(data[key], name)
        else:
            lines.append((name, _value(data[key])))
    return lines


def _value(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None or value == {}:
        return "—"
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value) or "—"
    return str(value)
