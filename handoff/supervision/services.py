"""What supervisors and the counselors they back up do on the floor: acknowledge an alert, ask
for help on a case and answer it, say whether one is available. Each is one transaction, an
event where a case is concerned, and a floor redraw after commit."""

from django.db import transaction
from django.utils import timezone

from counselors.models import Availability, User
from handoff.access import is_supervisor
from handoff.events import event_record
from handoff.models import OWNED_STATUSES, Alert, AlertKind, EventKind, Handoff, HelpRequest
from handoff.queue import notify

HELP_TEXT_MAX = 200  # one line


class Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def alert_acknowledge(*, alert_id: int, supervisor: User) -> Alert:
    if not is_supervisor(supervisor):
        raise Refused("Only a supervisor can acknowledge alerts.")
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update(of=("self",))
            .select_related("handoff")
            .filter(pk=alert_id)
            .first()
        )
        if alert is None:
            raise Refused("No such alert.")
        if alert.acknowledged_at is not None:
            return alert  # a second click, or a colleague was quicker: it is gone either way
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = supervisor
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        event_record(
            handoff=alert.handoff,
            kind=EventKind.ALERT_ACKNOWLEDGED,
            actor=supervisor,
            data={"alert": alert.pk, "alert_kind": alert.kind},
        )
        notify.floor_changed_on_commit()
    return alert


def help_ask(*, handoff_id: str, counselor: User, text: str = "") -> HelpRequest:
    """The counselor holding a case asks for a supervisor. A second ask while one waits is the
    same request (a double click must not ring the floor twice)."""
    text = " ".join(text.split())
    if len(text) > HELP_TEXT_MAX:
        raise Refused(f"Keep it to one line ({HELP_TEXT_MAX} characters).")
    with transaction.atomic():
        handoff = (
            Handoff.objects.select_for_update()
            .only("id", "platform", "status", "claimed_by")
            .filter(pk=handoff_id)
            .first()
        )
        if handoff is None:
            raise Refused("No such case.")
        if handoff.status not in OWNED_STATUSES or handoff.claimed_by_id != counselor.pk:
            raise Refused("Only the counselor holding this case can ask for a supervisor here.")
        waiting = HelpRequest.objects.filter(handoff=handoff, answered_at__isnull=True).first()
        if waiting is not None:
            return waiting
        request = HelpRequest.objects.create(handoff=handoff, asked_by=counselor, text=text)
        event_record(
            handoff=handoff,
            kind=EventKind.HELP_REQUESTED,
            actor=counselor,
            data={"help_request": request.pk, "with_text": bool(text)},
        )
        notify.alert_raise(
            handoff_id=str(handoff.pk),
            kind=AlertKind.HELP_REQUESTED,
            text=f"{counselor} asks for a supervisor on a case.",
        )
    return request


def help_answer(*, help_id: int, supervisor: User) -> HelpRequest:
    if not is_supervisor(supervisor):
        raise Refused("Only a supervisor can answer a request for help.")
    with transaction.atomic():
        request = (
            HelpRequest.objects.select_for_update(of=("self",))
            .select_related("handoff", "answered_by")
            .filter(pk=help_id)
            .first()
        )
        if request is None:
            raise Refused("No such request.")
        if request.answered_at is not None:
            raise Refused(f"{request.answered_by} already answered this request.")
        now = timezone.now()
        request.answered_at = now
        request.answered_by = supervisor
        request.wait_s = max(0, int((now - request.asked_at).total_seconds()))
        request.save(update_fields=["answered_at", "answered_by", "wait_s"])
        # Answering settles the help alert too: nobody needs to acknowledge it separately.
        Alert.objects.filter(
            handoff=request.handoff, kind=AlertKind.HELP_REQUESTED, acknowledged_at__isnull=True
        ).update(acknowledged_at=now, acknowledged_by=supervisor)
        event_record(
            handoff=request.handoff,
            kind=EventKind.HELP_ANSWERED,
            actor=supervisor,
            data={"help_request": request.pk, "wait_s": request.wait_s},
        )
        notify.floor_changed_on_commit()
    return request


def availability_set(*, user: User, availability: str) -> User:
    if availability not in Availability.values:
        raise Refused("Choose available or away.")
    User.objects.filter(pk=user.pk).update(availability=availability)
    user.availability = availability
    notify.floor_changed_on_commit()
    return user
