"""Which cases a supervisor must review, decided here and nowhere else: the list, the count in
the navigation and the case page all ask this module."""

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from handoff.models import (
    EmergencyCall,
    EventKind,
    Handoff,
    HandoffEvent,
    MobileCrisisDispatch,
    Outcome,
    Review,
    Status,
    Tier,
)

# Tiers whose lowering by a counselor a supervisor looks at again.
WATCHED_TIERS = (Tier.HIGH, Tier.IMMINENT)


def _lowered_from_watched() -> Q:
    """A tier change event whose target is below a high or imminent starting tier."""
    lowered = Q(pk__in=[])
    for tier in WATCHED_TIERS:
        below = [t.value for t in Tier if t.rank < tier.rank]
        lowered |= Q(data__from=tier.value, data__to__in=below)
    return lowered


def review_reasons(qs: QuerySet[Handoff]) -> QuerySet[Handoff]:
    """Each case with one flag per reason for review, read by one query with the rows."""
    case = OuterRef("pk")
    return qs.annotate(
        had_emergency_call=Exists(EmergencyCall.objects.filter(handoff=case)),
        had_mobile_crisis=Exists(MobileCrisisDispatch.objects.filter(handoff=case)),
        tier_lowered=Exists(
            HandoffEvent.objects.filter(
                handoff_id=case, kind=EventKind.TIER_CHANGED, data__by="counselor"
            ).filter(_lowered_from_watched())
        ),
        reviewed=Exists(Review.objects.filter(handoff=case, sign_off=True)),
    )


def _needs_review() -> Q:
    emergency = Q(status=Status.CLOSED) & (
        Q(had_emergency_call=True)
        | Q(had_mobile_crisis=True)
        | Q(outcome__in=[Outcome.EMERGENCY_CALL, Outcome.MOBILE_CRISIS])
    )
    # The platform withdrew while a counselor held the case: the case kept its status.
    withdrawn_after_claim = Q(withdrawn_at__isnull=False) & ~Q(status=Status.WITHDRAWN)
    return emergency | Q(tier_lowered=True) | withdrawn_after_claim


def qualifies_for_review(handoff_id: Any) -> bool:
    """Whether the case meets the rule now (read by handoff.reviews.services.review_queue_mark
    after each event that can change the answer)."""
    return review_reasons(Handoff.objects.filter(pk=handoff_id)).filter(_needs_review()).exists()


def cases_for_review() -> QuerySet[Handoff]:
    """Every case queued for review, signed off or not (`reviewed`): the marked rows only, so
    the list does not read every case ever closed."""
    return review_reasons(Handoff.objects.filter(review_queued_at__isnull=False))


def unreviewed_count() -> int:
    signed_off = Review.objects.filter(handoff=OuterRef("pk"), sign_off=True)
    return (
        Handoff.objects.filter(review_queued_at__isnull=False).exclude(Exists(signed_off)).count()
    )


def needs_review(handoff: Handoff) -> bool:
    return handoff.review_queued_at is not None
