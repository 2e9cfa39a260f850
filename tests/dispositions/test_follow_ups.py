"""Follow-ups carried out on the closed case without reopening it; one due while its counselor
is off shift goes to the floor, and whoever takes it may open the case for it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from counselors.models import PresenceConnection
from handoff.dispositions.services import follow_ups_remind
from handoff.models import (
    ContactAttempt,
    EventKind,
    FollowUp,
    Handoff,
    HandoffEvent,
    Note,
    Outcome,
    Status,
)
from tests.support.staff import make_staff, signed_in

pytestmark = pytest.mark.django_db


def closed_with_follow_up(world, *, due_in: timedelta) -> FollowUp:
    Handoff.objects.filter(pk=world.case_id).update(
        status=Status.CLOSED, outcome=Outcome.DEESCALATED, closed_at=timezone.now()
    )
    return FollowUp.objects.create(
        handoff_id=world.case_id, counselor=world.counselor, due_at=timezone.now() + due_in
    )


def on_shift(user) -> None:
    PresenceConnection.objects.create(
        user=user, channel_name=f"c-{user.pk}", last_seen=timezone.now()
    )


def test_carried_out_without_reopening(world) -> None:
    on_shift(world.counselor)
    follow_up = closed_with_follow_up(world, due_in=timedelta(hours=1))
    listing = world.client.get("/follow-ups/").content.decode()
    assert f'data-follow-up="{follow_up.pk}"' in listing
    assert 'data-testid="nav-follow-ups"' not in listing  # upcoming, not due

    FollowUp.objects.filter(pk=follow_up.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    assert follow_ups_remind() == 1
    # The reminder persists: in the navigation count and the due list.
    listing = world.client.get("/follow-ups/").content.decode()
    assert 'data-testid="nav-follow-ups">1<' in listing
    assert 'data-testid="due-count">1<' in listing

    url = f"/follow-ups/{follow_up.pk}/"
    assert (
        world.client.post(url + "attempts", {"channel": "phone", "result": "no_answer"}).status_code
        == 302
    )
    assert (
        world.client.post(url + "notes", {"text": "Left a message about the clinic."}).status_code
        == 302
    )
    assert world.client.post(url + "notes", {"text": "  "}).status_code == 400
    bad = world.client.post(url + "not-reached", {"next_at": "2001-01-01T10:00"})
    assert bad.status_code == 400 and "must be in the future" in bad.content.decode()
    next_try = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert world.client.post(url + "not-reached", {"next_at": next_try}).status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.done_at is None and follow_up.reminded_at is None
    assert follow_up.due_at > timezone.now()
    assert 'data-testid="nav-follow-ups"' not in world.client.get("/follow-ups/").content.decode()

    assert world.client.post(url + "done").status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.done_at is not None
    handoff = Handoff.objects.get(pk=world.case_id)
    assert handoff.status == Status.CLOSED and handoff.outcome == Outcome.DEESCALATED
    assert ContactAttempt.objects.filter(handoff=handoff, result="no_answer").count() == 1
    assert Note.objects.filter(handoff=handoff).count() == 1
    kinds = set(
        HandoffEvent.objects.filter(handoff_id=world.case_id).values_list("kind", flat=True)
    )
    assert {
        EventKind.CONTACT_ATTEMPT,
        EventKind.NOTE_ADDED,
        EventKind.FOLLOW_UP_NOT_REACHED,
        EventKind.FOLLOW_UP_DONE,
    } <= kinds
    # Done: nothing more is recorded on it.
    assert (
        world.client.post(url + "attempts", {"channel": "phone", "result": "reached"}).status_code
        == 400
    )


def test_off_shift_goes_to_the_floor_and_the_taker_may_open_the_case(world) -> None:
    follow_up = closed_with_follow_up(world, due_in=timedelta(minutes=-5))
    taker = make_staff("riley")
    on_shift(taker)
    client = signed_in(taker)
    # Not theirs yet: the closed case is refused, the follow-up cannot be worked.
    assert client.get(world.url).status_code == 403
    url = f"/follow-ups/{follow_up.pk}/"
    assert (
        client.post(url + "attempts", {"channel": "phone", "result": "reached"}).status_code == 403
    )

    listing = client.get("/follow-ups/").content.decode()
    assert 'data-testid="floor-count">1<' in listing
    assert 'data-testid="nav-follow-ups">1<' in listing
    assert "+16145550142" not in listing and "bottle of pills" not in listing
    sup_listing = signed_in(world.supervisor).get("/follow-ups/").content.decode()
    assert f'data-follow-up="{follow_up.pk}"' in sup_listing

    assert client.post(url + "take").status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.counselor == taker
    assert HandoffEvent.objects.filter(
        handoff_id=world.case_id, kind=EventKind.FOLLOW_UP_TAKEN, actor=taker
    ).exists()
    page = client.get(world.url)
    assert page.status_code == 200
    assert Handoff.objects.get(pk=world.case_id).status == Status.CLOSED
    # The first counselor no longer holds the follow-up, but still the case they closed.
    assert world.client.post(url + "done").status_code == 403
    assert client.post(url + "done").status_code == 302
    # Done: the case is closed to the taker again.
    assert client.get(world.url).status_code == 403


def test_a_follow_up_of_a_counselor_on_shift_cannot_be_taken(world) -> None:
    on_shift(world.counselor)
    follow_up = closed_with_follow_up(world, due_in=timedelta(minutes=-5))
    other = make_staff("riley")
    response = signed_in(other).post(f"/follow-ups/{follow_up.pk}/take")
    assert response.status_code == 403
    follow_up.refresh_from_db()
    assert follow_up.counselor == world.counselor
