"""What the counselor holding a case is doing with the person right now: on the phone, texting,
or waiting for a reply. Only the holder says so, for a case they are working; each change is an
event, and the floor, the holder's own list and the open case page are told after commit."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from counselors.models import User
from handoff.dispositions.services import Refused
from handoff.events import event_record
from handoff.models import ContactStatus, EventKind, Handoff, Status
from handoff.queue import notify

# The statuses a case can be worked in (awaiting confirmation waits on emergency services).
WORKED = (Status.CLAIMED, Status.IN_CONTACT)


def contact_status_set(*, handoff_id: Any, counselor: User, status: str) -> Handoff:
    """Set (or, with "", clear) the holder's contact status. Setting the status it already has
    changes nothing and records nothing, so a key pressed twice is one event."""
    if status and status not in ContactStatus.values:
        raise Refused({"status": "Choose on the phone, texting or waiting for a reply."})
    with transaction.atomic():
        handoff = Handoff.objects.select_for_update().filter(pk=handoff_id).first()
        if handoff is None:
            raise Refused("No such case.")
        if handoff.claimed_by_id != counselor.pk or handoff.status not in WORKED:
            raise Refused("Only the counselor working this case sets what they are doing.")
        current = handoff.contact_status if handoff.contact_status_shown else ""
        if status == current:
            return handoff
        handoff.contact_status = status
        handoff.contact_status_at = timezone.now() if status else None
        handoff.contact_status_by = counselor if status else None
        handoff.version += 1
        handoff.save(
            update_fields=[
                "contact_status",
                "contact_status_at",
                "contact_status_by",
                "version",
                "updated_at",
            ]
        )
        event_record(
            handoff=handoff,
            kind=EventKind.CONTACT_STATUS,
            actor=counselor,
            data={"status": status, "was": current},
        )
        notify.case_changed_on_commit(handoff=handoff, owners=[counselor.pk])
    return handoff
