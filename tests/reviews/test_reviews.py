"""The review queue: who is queued, the immutable sign-off with appended comments, what the
counselor sees on their case, and the count in the navigation."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, ProgrammingError, transaction
from django.test import Client
from django.utils import timezone

from counselors.models import Role
from handoff.events import event_record
from handoff.models import EmergencyCall, EventKind, Handoff, HandoffEvent, Outcome, Review, Status
from tests.cases.conftest import CaseWorld
from tests.support.factories import handoff_body, post_signed
from tests.support.staff import make_staff, signed_in

pytestmark = pytest.mark.django_db


def close_as(world: CaseWorld, outcome: str) -> None:
    """The end state a closing leaves, with its event (the close form's own checks are tested
    elsewhere)."""
    Handoff.objects.filter(pk=world.case_id).update(
        status=Status.CLOSED, outcome=outcome, closed_at=timezone.now()
    )
    record_event(world.case_id, EventKind.CLOSED)


def record_event(case_id: str, kind: EventKind) -> None:
    event_record(handoff=Handoff.objects.get(pk=case_id), kind=kind)


def with_emergency_call(world: CaseWorld) -> None:
    now = timezone.now()
    EmergencyCall.objects.create(
        handoff_id=world.case_id,
        counselor=world.counselor,
        center_name="Franklin County",
        center_number="6145550100",
        dialed_at=now - timedelta(minutes=5),
        relayed="At home.",
        person_consented=True,
        contact_confirmed=True,
        confirmed_at=now,
    )


def review_rows(client) -> set[str]:
    response = client.get("/reviews/")
    assert response.status_code == 200
    html = response.content.decode()
    return {
        str(c)
        for c in Handoff.objects.values_list("id", flat=True).iterator()
        if f'data-case="{c}"' in html
    }


@pytest.fixture
def second(platform_factory) -> CaseWorld:
    """A second case, held by a second counselor."""
    world = CaseWorld.__new__(CaseWorld)
    world.platform = platform_factory()
    response = post_signed(
        Client(), world.platform.url(), secret=world.platform.inbound_secret, body=handoff_body()
    )
    world.case_id = response.json()["id"]
    world.counselor = make_staff("riley")
    world.client = signed_in(world.counselor)
    assert world.client.post(f"/cases/{world.case_id}/claim").status_code == 302
    return world


def test_who_is_queued_and_who_is_not(world, second, platform_factory) -> None:
    supervisor = signed_in(world.supervisor)
    assert review_rows(supervisor) == set()

    # Closed after an emergency call: queued once closed, not while still open.
    with_emergency_call(world)
    assert review_rows(supervisor) == set()
    close_as(world, Outcome.EMERGENCY_CALL)
    # A de-escalated case with nothing else is not queued.
    close_as(second, Outcome.DEESCALATED)
    assert {str(c) for c in review_rows(supervisor)} == {world.case_id}


def test_lowered_tier_and_withdrawal_after_claim_are_queued(world, second) -> None:
    supervisor = signed_in(world.supervisor)
    # The counselor lowers the high case to low through the case page.
    response = world.client.post(
        f"/cases/{world.case_id}/assessment",
        {"tier": "low", "override_reason": "Talked it through"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    # Raising a tier is not a reason for review.
    raised = second.client.post(
        f"/cases/{second.case_id}/assessment", {"tier": "imminent", "override_reason": "Plan"}
    )
    assert raised.status_code == 302
    assert {str(c) for c in review_rows(supervisor)} == {world.case_id}

    # The platform withdraws the second case while it is held.
    Handoff.objects.filter(pk=second.case_id).update(
        withdrawn_at=timezone.now(), withdrawn_reason="user_left"
    )
    record_event(second.case_id, EventKind.WITHDRAW_AFTER_CLAIM)
    html = supervisor.get("/reviews/").content.decode()
    assert "withdrawn after claim" in html
    assert "tier lowered by counselor" in html
    assert {str(c) for c in review_rows(supervisor)} == {world.case_id, second.case_id}


def test_counselors_are_refused_the_queue_and_the_sign_off(world) -> None:
    with_emergency_call(world)
    close_as(world, Outcome.EMERGENCY_CALL)
    assert world.client.get("/reviews/").status_code == 403
    response = world.client.post(f"/cases/{world.case_id}/review", {"comment": "fine"})
    assert response.status_code == 403
    assert not Review.objects.exists()
    assert HandoffEvent.objects.filter(
        handoff_id=world.case_id, kind=EventKind.ACCESS_REFUSED, actor=world.counselor
    ).exists()


def test_sign_off_then_appended_comments_seen_by_the_counselor(world) -> None:
    with_emergency_call(world)
    close_as(world, Outcome.EMERGENCY_CALL)
    supervisor = signed_in(world.supervisor)
    assert 'data-testid="nav-reviews">1<' in supervisor.get("/cases/").content.decode()

    empty = supervisor.post(f"/cases/{world.case_id}/review", {"comment": "   "})
    assert empty.status_code == 400
    assert "Write a comment" in empty.content.decode()
    assert 'name="comment"' in empty.content.decode()

    first = supervisor.post(f"/cases/{world.case_id}/review", {"comment": "Call was right."})
    assert first.status_code == 302
    # Signed off: off the waiting list and out of the navigation count.
    assert review_rows(supervisor) == set()
    assert 'data-testid="nav-reviews"' not in supervisor.get("/cases/").content.decode()

    other = make_staff("sasha", role=Role.SUPERVISOR)
    assert (
        signed_in(other)
        .post(f"/cases/{world.case_id}/review", {"comment": "Agree; check the address next time."})
        .status_code
        == 302
    )
    reviews = list(Review.objects.filter(handoff_id=world.case_id))
    assert [r.sign_off for r in reviews] == [True, False]
    kinds = list(
        HandoffEvent.objects.filter(
            handoff_id=world.case_id, kind__in=[EventKind.REVIEWED, EventKind.REVIEW_COMMENTED]
        ).values_list("kind", flat=True)
    )
    assert kinds == [EventKind.REVIEWED, EventKind.REVIEW_COMMENTED]

    # Immutable: neither Django nor SQL changes a sign-off; a second sign-off is refused.
    with pytest.raises(ValueError, match="never edited"):
        reviews[0].save()
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        Review.objects.filter(pk=reviews[0].pk).update(comment="rewritten")
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(
            handoff_id=world.case_id, supervisor=other, comment="x", sign_off=True
        )

    page = world.client.get(world.url).content.decode()
    assert "Call was right." in page
    assert "Agree; check the address next time." in page
    assert "signed off" in page
    # The counselor reads the review but gets no form to write one.
    assert f'action="/cases/{world.case_id}/review"' not in page


def test_a_case_not_queued_cannot_be_signed_off(world) -> None:
    close_as(world, Outcome.DEESCALATED)
    response = signed_in(world.supervisor).post(f"/cases/{world.case_id}/review", {"comment": "ok"})
    assert response.status_code == 400
    assert "not queued for review" in response.content.decode()
