"""The append-only event log. Every state change writes one in the same transaction; every event
is a link in its case's hash chain (handoff.chain, docs/audit.md)."""

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from counselors.models import User
from handoff import chain
from handoff.models import EventChainHead, EventKind, Handoff, HandoffEvent

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
    first: bool = False,
) -> HandoffEvent:
    """Append an event. `data` holds ids, statuses and counts, never personal data.
    `first`: the case was inserted in the caller's transaction, so this event starts its chain
    (see events_record)."""
    event = event_build(handoff=handoff, kind=kind, actor=actor, data=data)
    events_record([event], first=first)
    return event


def event_build(
    *,
    handoff: Handoff,
    kind: EventKind,
    actor: User | None = None,
    data: dict[str, Any] | None = None,
) -> HandoffEvent:
    """An unsaved event, for writers that record many at once with events_record."""
    return HandoffEvent(
        handoff_id=handoff.id,
        platform_id=handoff.platform_id,
        actor=actor,
        kind=kind,
        at=timezone.now(),
        data=data or {},
    )


def console_event_record(
    *, kind: EventKind, actor: User | None, data: dict[str, Any] | None = None
) -> HandoffEvent:
    """An event of the console itself, about no one case (an audit read): on a chain of its own."""
    event = HandoffEvent(
        handoff_id=chain.CONSOLE_CHAIN, actor=actor, kind=kind, at=timezone.now(), data=data or {}
    )
    events_record([event])
    return event


def events_record(events: Sequence[HandoffEvent], *, first: bool = False) -> None:
    """Chain the events onto their cases' chains and insert them, in the caller's transaction
    (or one of their own). One event is saved (post_save receivers run); several go in at once.

    Appends to one case take turns, appends to different cases do not wait on each other: each
    takes its case's row lock (FOR NO KEY UPDATE, after whatever lock its writer already holds on
    it, so the order is always case row, then chain head) and its chain head's, in case id order
    when there are several. The event's time is taken under those locks, so a chain's times
    never run backwards. On SQLite the whole database takes turns (IMMEDIATE transactions).

    `first`: every case was inserted in the caller's transaction (a new handoff), so nobody else
    can see it, its insert already holds its row lock, and its chain has no head and no event:
    the chain starts here without the three reads. Should a head exist after all, inserting the
    new one fails on its primary key and the caller's transaction rolls back."""
    if not events:
        return
    chains = sorted({e.handoff_id for e in events})
    with transaction.atomic(savepoint=False):
        cases = [c for c in chains if c != chain.CONSOLE_CHAIN]
        if first:
            if chain.CONSOLE_CHAIN in chains:
                raise ValueError("the console's chain is never new")
            new = {c: EventChainHead(chain_id=c) for c in chains}
            _chain_and_insert(events, new)
            EventChainHead.objects.bulk_create(new.values())
            return
        if cases:
            list(
                Handoff.objects.select_for_update(no_key=True)
                .filter(pk__in=cases)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        heads = {
            h.chain_id: h
            for h in EventChainHead.objects.select_for_update()
            .filter(chain_id__in=chains)
            .order_by("chain_id")
        }
        new = _heads_start([c for c in chains if c not in heads])
        heads.update(new)
        _chain_and_insert(events, heads)
        if new:
            EventChainHead.objects.bulk_create(new.values())
        moved = [h for c, h in heads.items() if c not in new]
        if len(moved) == 1:
            EventChainHead.objects.filter(pk=moved[0].pk).update(
                seq=moved[0].seq, hash=moved[0].hash
            )
        elif moved:
            EventChainHead.objects.bulk_update(moved, ["seq", "hash"])


def _chain_and_insert(events: Sequence[HandoffEvent], heads: dict[Any, EventChainHead]) -> None:
    """Link each event after its chain's head (moving the head along) and insert them."""
    now = timezone.now()
    for event in events:
        head = heads[event.handoff_id]
        event.at = now
        event.data = chain.normalized(event.data or {})
        event.seq = head.seq + 1
        event.prev_hash = head.hash
        event.hash = chain.sign(event_body(event))
        head.seq, head.hash = event.seq, event.hash
    if len(events) == 1:
        events[0].save(force_insert=True)
    else:
        HandoffEvent.objects.bulk_create(events)


def _heads_start(chain_ids: list[Any]) -> dict[Any, EventChainHead]:
    """Heads for chains that have none yet (unsaved). A chain whose head row was lost goes on
    from its newest stored event rather than colliding with it."""
    if not chain_ids:
        return {}
    heads = {c: EventChainHead(chain_id=c) for c in chain_ids}
    last = (
        HandoffEvent.objects.filter(handoff_id__in=chain_ids)
        .values("handoff_id")
        .annotate(last=Max("seq"))
        .values_list("handoff_id", "last")
    )
    for chain_id, seq in last:
        stored = HandoffEvent.objects.get(handoff_id=chain_id, seq=seq)
        heads[chain_id].seq, heads[chain_id].hash = seq, stored.hash
    return heads


def event_body(event: HandoffEvent) -> str:
    """What an event's hash covers (handoff.chain.event_body), from the event."""
    return chain.event_body(
        prev_hash=event.prev_hash,
        chain=event.handoff_id,
        seq=event.seq,
        kind=event.kind,
        at=event.at,
        actor_id=event.actor_id,
        platform_id=event.platform_id,
        data=event.data,
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
