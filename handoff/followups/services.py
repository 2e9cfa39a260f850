"""Carrying out a follow-up on a closed case without reopening it: contact attempts, a note,
and done or not reached with the next try. Taking one from the floor assigns it. Each step is
an event in the same transaction."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from counselors.models import User
from handoff.access import is_staff_member, is_supervisor
from handoff.events import event_record
from handoff.followups.selectors import on_floor
from handoff.models import (
    ContactAttempt,
    ContactChannel,
    ContactResult,
    EventKind,
    FollowUp,
    Note,
)
from handoff.queue.services import record_changed


class Refused(Exception):
    """Not allowed now; `errors` maps a field (or "") to what is wrong."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = errors if isinstance(errors, dict) else {"": errors}
        super().__init__("; ".join(self.errors.values()))


def can_work_on(user: User, follow_up: FollowUp) -> bool:
    """Its counselor, or a supervisor."""
    return is_staff_member(user) and (follow_up.counselor_id == user.pk or is_supervisor(user))


def _locked(follow_up_id: Any, actor: User) -> FollowUp:
    follow_up = (
        FollowUp.objects.select_for_update()
        .select_related("handoff")
        .filter(pk=follow_up_id)
        .first()
    )
    if follow_up is None:
        raise Refused("No such follow-up.")
    if not can_work_on(actor, follow_up):
        raise Refused("This follow-up is another counselor's. Take it from the floor when due.")
    if follow_up.done_at is not None:
        raise Refused("This follow-up is already done.")
    return follow_up


def follow_up_take(*, follow_up_id: Any, taker: User) -> FollowUp:
    """A due follow-up whose counselor is off shift: whoever takes it becomes its counselor,
    and so may open the closed case for it (handoff.access.can_view_case)."""
    if not is_staff_member(taker):
        raise Refused("Only staff take follow-ups.")
    with transaction.atomic():
        follow_up = FollowUp.objects.select_for_update().filter(pk=follow_up_id).first()
        if follow_up is None:
            raise Refused("No such follow-up.")
        if follow_up.counselor_id == taker.pk:
            return follow_up
        if not on_floor(follow_up):
            raise Refused("Only a due follow-up whose counselor is off shift can be taken.")
        previous = follow_up.counselor_id
        follow_up.counselor = taker
        follow_up.save(update_fields=["counselor"])
        event_record(
            handoff=follow_up.handoff,
            kind=EventKind.FOLLOW_UP_TAKEN,
            actor=taker,
            data={"follow_up": follow_up.pk, "from": previous},
        )
        record_changed(handoff_id=follow_up.handoff_id)
    return follow_up


def follow_up_attempt(
    *, follow_up_id: Any, counselor: User, channel: str, result: str
) -> ContactAttempt:
    if channel not in ContactChannel.values or result not in ContactResult.values:
        raise Refused("Choose how you tried and what happened.")
    with transaction.atomic():
        follow_up = _locked(follow_up_id, counselor)
        attempt = ContactAttempt.objects.create(
            handoff=follow_up.handoff, counselor=counselor, channel=channel, result=result
        )
        event_record(
            handoff=follow_up.handoff,
            kind=EventKind.CONTACT_ATTEMPT,
            actor=counselor,
            data={"attempt": attempt.pk, "follow_up": follow_up.pk, "result": result},
        )
        record_changed(handoff_id=follow_up.handoff_id)
    return attempt


def follow_up_note(*, follow_up_id: Any, author: User, text: str) -> Note:
    if not text.strip():
        raise Refused({"text": "Write the note."})
    with transaction.atomic():
        follow_up = _locked(follow_up_id, author)
        note = Note.objects.create(handoff=follow_up.handoff, author=author, text=text.strip())
        event_record(
            handoff=follow_up.handoff,
            kind=EventKind.NOTE_ADDED,
            actor=author,
            data={"note": note.pk, "follow_up": follow_up.pk},
        )
        record_changed(handoff_id=follow_up.handoff_id)
    return note


def follow_up_done(*, follow_up_id: Any, counselor: User) -> FollowUp:
    with transaction.atomic():
        follow_up = _locked(follow_up_id, counselor)
        follow_up.done_at = timezone.now()
        follow_up.save(update_fields=["done_at"])
        event_record(
            handoff=follow_up.handoff,
            kind=EventKind.FOLLOW_UP_DONE,
            actor=counselor,
            data={"follow_up": follow_up.pk},
        )
        record_changed(handoff_id=follow_up.handoff_id)
    return follow_up


def follow_up_not_reached(*, follow_up_id: Any, counselor: User, next_at: datetime) -> FollowUp:
    """The person was not reached: the follow-up stays open, due again at the next try, and
    its reminder fires again then."""
    if next_at <= timezone.now():
        raise Refused({"next_at": "The next try must be in the future."})
    with transaction.atomic():
        follow_up = _locked(follow_up_id, counselor)
        follow_up.due_at = next_at
        follow_up.reminded_at = None
        follow_up.save(update_fields=["due_at", "reminded_at"])
        event_record(
            handoff=follow_up.handoff,
            kind=EventKind.FOLLOW_UP_NOT_REACHED,
            actor=counselor,
            data={"follow_up": follow_up.pk, "next_at": next_at.isoformat()},
        )
        record_changed(handoff_id=follow_up.handoff_id)
    return follow_up
