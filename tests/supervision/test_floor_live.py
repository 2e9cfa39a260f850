"""Who the floor counts as signed in, what a change costs when no floor is open, and the live
updates a review and a follow-up step send, through config.asgi.application."""

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from counselors.models import Door, PresenceConnection, Role
from handoff.models import EmergencyCall, FollowUp, Handoff, Outcome, Status
from handoff.queue import notify
from tests.cases.conftest import CaseWorld
from tests.support.sockets import socket
from tests.support.staff import make_staff, session_cookie, signed_in


async def _next(comm: WebsocketCommunicator, kind: str) -> dict:
    for _ in range(20):
        message = json.loads(await comm.receive_from(timeout=10))
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind} message")


@pytest.mark.django_db
def test_with_no_floor_open_a_change_costs_the_floor_one_read(
    platform_factory, django_assert_num_queries
) -> None:
    CaseWorld(platform_factory)
    with django_assert_num_queries(1):
        notify.floor_changed()
    # A floor that stopped beating long ago is not watching either.
    sam = make_staff("sam", role=Role.SUPERVISOR)
    PresenceConnection.objects.create(
        user=sam,
        channel_name="gone",
        door=Door.FLOOR,
        last_seen=timezone.now() - timedelta(hours=1),
    )
    with django_assert_num_queries(1):
        notify.floor_changed()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_counselor_with_only_a_case_page_open_is_signed_in_on_the_floor(
    platform_factory,
) -> None:
    world = await sync_to_async(CaseWorld)(platform_factory)
    floor = socket("/ws/floor/", cookie=await sync_to_async(session_cookie)(world.supervisor))
    assert (await floor.connect())[0]
    casey = f'data-user-id="{world.counselor.pk}"'
    first = await _next(floor, "floor.snapshot")
    assert casey not in first["html"]  # no page of Casey's is open yet

    page = socket(
        f"/ws/cases/{world.case_id}/", cookie=await sync_to_async(session_cookie)(world.counselor)
    )
    assert (await page.connect())[0]
    arrived = await _next(floor, "floor.snapshot")
    assert casey in arrived["html"]

    await page.disconnect()
    left = await _next(floor, "floor.snapshot")
    assert casey not in left["html"]
    await floor.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_sign_off_reaches_the_counselors_open_case_page(platform_factory) -> None:
    world = await sync_to_async(CaseWorld)(platform_factory)
    await sync_to_async(_closed_with_an_emergency_call)(world)
    before = (await Handoff.objects.aget(pk=world.case_id)).version
    page = socket(
        f"/ws/cases/{world.case_id}/", cookie=await sync_to_async(session_cookie)(world.counselor)
    )
    assert (await page.connect())[0]

    supervisor = await sync_to_async(signed_in)(world.supervisor)
    signed = await sync_to_async(supervisor.post)(
        f"/cases/{world.case_id}/review", {"comment": "Call was right; well documented."}
    )
    assert signed.status_code in (200, 302), signed.content
    changed = await _next(page, "case.changed")
    assert changed["version"] > before
    # What the page fetches on that push now shows the review.
    html = (await sync_to_async(world.client.get)(world.url)).content.decode()
    assert "Call was right; well documented." in html
    await page.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_follow_up_step_reaches_the_open_case_page(platform_factory) -> None:
    world = await sync_to_async(CaseWorld)(platform_factory)
    follow_up = await sync_to_async(_closed_with_a_follow_up)(world)
    before = (await Handoff.objects.aget(pk=world.case_id)).version
    page = socket(
        f"/ws/cases/{world.case_id}/", cookie=await sync_to_async(session_cookie)(world.counselor)
    )
    assert (await page.connect())[0]

    done = await sync_to_async(world.client.post)(f"/follow-ups/{follow_up.pk}/done")
    assert done.status_code in (200, 302), done.content
    changed = await _next(page, "case.changed")
    assert changed["version"] > before
    await page.disconnect()


def _closed_with_an_emergency_call(world: CaseWorld) -> None:
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
    Handoff.objects.filter(pk=world.case_id).update(
        status=Status.CLOSED, outcome=Outcome.EMERGENCY_CALL, closed_at=now, review_queued_at=now
    )


def _closed_with_a_follow_up(world: CaseWorld) -> FollowUp:
    now = timezone.now()
    Handoff.objects.filter(pk=world.case_id).update(
        status=Status.CLOSED, outcome=Outcome.DEESCALATED, closed_at=now
    )
    return FollowUp.objects.create(
        handoff_id=world.case_id, counselor=world.counselor, due_at=now - timedelta(minutes=1)
    )
