"""A supervisor signs off a case's review, or appends a comment to it."""

from typing import Any

from django.db import transaction

from counselors.models import User
from handoff.access import is_supervisor
from handoff.events import event_record
from handoff.models import EventKind, Handoff, Review
from handoff.reviews.selectors import needs_review


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
    return review
