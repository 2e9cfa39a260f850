"""A supervisor signs off a case's review, or appends a comment to it."""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from counselors.models import User
from handoff.access import is_supervisor
from handoff.events import event_record
from handoff.models import EventKind, Handoff, HandoffEvent, Review
from handoff.queue.services import record_changed
from handoff.reviews.selectors import needs_review, qualifies_for_review


class Refused(Exception):
    """The review is not allowed; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def review_add(*, handoff_id: Any, supervisor: User, comment: str) -> Review:
    """The first review of a case queued for review is its sign-off; later ones are comments
    appended after it. Each is an event."""
    if not is_supervisor(supervisor):
        raise Refused("Only a supervisor can review a case.")
    text = comment.strip()
    if not text:
        raise Refused("Write a comment: a sign-off says what was looked at.")
    with transaction.atomic():
        # The case's row lock orders two supervisors signing off at once: the second appends.
        handoff = Handoff.objects.select_for_update().filter(pk=handoff_id).first()
        if handoff is None:
            raise Refused("No such case.")
        if not needs_review(handoff):
            raise Refused("This case is not queued for review.")
        first = not Review.objects.filter(handoff=handoff, sign_off=True).exists()
        review = Review.objects.create(
            handoff=handoff, supervisor=supervisor, comment=text, sign_off=first
        )
        event_record(
            handoff=handoff,
            kind=EventKind.REVIEWED if first else EventKind.REVIEW_COMMENTED,
            actor=supervisor,
            data={"review": review.pk},
        )
        # The counselor sees the review on their open case page; the navigation's count moves.
        record_changed(handoff_id=handoff.pk)
    return review


# The events after which a case may newly meet the review rule (handoff.reviews.selectors).
QUEUEING_EVENTS = frozenset(
    {
        EventKind.CLOSED,
        EventKind.TIER_CHANGED,
        EventKind.WITHDRAW_AFTER_CLAIM,
        EventKind.EMERGENCY_CALL_RECORDED,
        EventKind.MOBILE_CRISIS_REQUESTED,
        EventKind.AMENDED,
    }
)


def review_queue_mark(*, handoff_id: Any) -> bool:
    """Put the case in the review queue if it meets the rule and is not there yet. In the
    caller's transaction, so the mark and the change that caused it commit together."""
    if not qualifies_for_review(handoff_id):
        return False
    marked = Handoff.objects.filter(pk=handoff_id, review_queued_at__isnull=True).update(
        review_queued_at=timezone.now()
    )
    return marked > 0


@receiver(post_save, sender=HandoffEvent, dispatch_uid="handoff.reviews.queue_mark")
def _event_recorded(*, instance: HandoffEvent, created: bool, **kwargs: Any) -> None:
    # Events are recorded after the change they describe, in the same transaction.
    if created and instance.kind in QUEUEING_EVENTS:
        review_queue_mark(handoff_id=instance.handoff_id)
