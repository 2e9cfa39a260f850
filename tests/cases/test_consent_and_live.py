"""Consent gates what is shown; the open case page hears about new messages at once."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from channels.db import database_sync_to_async as sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from config.asgi import application
from handoff.dispositions.services import emergency_confirmations_overdue, follow_ups_remind
from handoff.models import EmergencyCall, EventKind, FollowUp, HandoffEvent
from tests.cases.conftest import CaseWorld
from tests.support.factories import handoff_body, post_signed
from tests.support.staff import make_staff, session_cookie

PHONE_FORMS = ("+16145550142", "6145550142", "(614) 555-0142", "614-555-0142")


@pytest.mark.django_db
def test_without_share_profile_no_phone_anywhere_and_it_says_why(
    platform_factory, directory
) -> None:
    body = handoff_body()
    body["contact"] = None
    body["consent"]["share_profile"] = False
    world = CaseWorld(platform_factory, **body)

    page = world.client.get(world.url).content.decode()
    screen = world.client.get(f"{world.url}emergency").content.decode()
    export = world.client.get(f"{world.url}export").content.decode()

    for text in (page, screen, export):
        assert not any(form in text for form in PHONE_FORMS)
        assert "did not consent to share their phone number" in text
    assert "Sam" not in page
    # Location was shared: it is still there for the call.
    assert "123 Main St" in screen
    assert HandoffEvent.objects.filter(handoff_id=world.case_id, kind=EventKind.EXPORTED).exists()


@pytest.mark.django_db
def test_without_share_location_no_address_and_the_center_is_entered_by_hand(
    platform_factory, directory
) -> None:
    body = handoff_body()
    body["location"] = None
    body["consent"]["share_location"] = False
    world = CaseWorld(platform_factory, **body)
    screen = world.client.get(f"{world.url}emergency").content.decode()
    assert "123 Main St" not in screen and "43215" not in screen
    assert "did not consent to share their location" in screen
    assert 'data-testid="center-manual"' in screen
    assert "123 Main St" not in world.client.get(f"{world.url}export").content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_message_during_contact_reaches_the_open_case_page(platform_factory) -> None:
    world = await sync_to_async(CaseWorld)(platform_factory)
    cookie = await sync_to_async(session_cookie)(world.counselor)
    comm = WebsocketCommunicator(
        application,
        f"/ws/cases/{world.case_id}/",
        headers=[
            (b"cookie", f"sessionid={cookie}".encode()),
            (b"origin", b"http://127.0.0.1"),
            (b"host", b"127.0.0.1"),
        ],
    )
    assert (await comm.connect())[0]

    more = {
        "messages": [
            {
                "role": "user",
                "text": "my roommate just got home",
                "at": datetime.now(tz=UTC).isoformat(),
            }
        ]
    }
    response = await sync_to_async(post_signed)(
        Client(),
        world.platform.url(f"/{world.case_id}/messages"),
        secret=world.platform.inbound_secret,
        body=more,
    )
    assert response.status_code == 202

    message = json.loads(await comm.receive_from(timeout=5))
    assert message["type"] == "case.changed"
    live = await sync_to_async(world.client.get)(f"{world.url}live")
    assert "my roommate just got home" in live.content.decode()
    assert f'data-version="{message["version"]}"' in live.content.decode()

    # The page's periodic check answers with the version now stored: a lost push shows there.
    await comm.send_json_to({"type": "check"})
    answer = json.loads(await comm.receive_from(timeout=5))
    assert answer == {"type": "case.version", "version": message["version"]}
    await comm.disconnect()

    stranger = await sync_to_async(make_staff)("jordan")
    other = WebsocketCommunicator(
        application,
        f"/ws/cases/{world.case_id}/",
        headers=[
            (b"cookie", f"sessionid={await sync_to_async(session_cookie)(stranger)}".encode()),
            (b"origin", b"http://127.0.0.1"),
            (b"host", b"127.0.0.1"),
        ],
    )
    assert not (await other.connect())[0]


@pytest.mark.django_db
def test_unconfirmed_emergency_call_is_flagged_to_supervisors_once(
    world, directory, settings
) -> None:
    world.client.post(
        f"{world.url}emergency",
        {
            "center": directory["franklin"].pk,
            "dialed_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "relayed": "x",
            "person_consented": "yes",
        },
    )
    call = EmergencyCall.objects.get()
    assert emergency_confirmations_overdue() == 0
    EmergencyCall.objects.filter(pk=call.pk).update(
        recorded_at=timezone.now()
        - timedelta(minutes=settings.EMERGENCY_CONFIRMATION_ALERT_MINUTES + 1)
    )
    assert emergency_confirmations_overdue() == 1
    assert emergency_confirmations_overdue() == 0
    assert (
        HandoffEvent.objects.filter(
            handoff_id=world.case_id, kind=EventKind.CONFIRMATION_OVERDUE
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_due_follow_up_reminds_once(world) -> None:
    world.client.post(
        f"{world.url}close",
        {
            "outcome": "deescalated",
            "what_helped": "talking",
            "follow_up_at": (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert follow_ups_remind() == 0
    FollowUp.objects.update(due_at=timezone.now() - timedelta(minutes=1))
    assert follow_ups_remind() == 1
    assert follow_ups_remind() == 0
    event = HandoffEvent.objects.get(handoff_id=world.case_id, kind=EventKind.FOLLOW_UP_DUE)
    assert event.data["to"] == "floor"  # the counselor has no dashboard open
