"""The floor, alerts, asking for a supervisor, capacity and handover notes, through the real
views and the real websocket."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test import Client

from config.asgi import application
from counselors.models import Role
from handoff.models import (
    Alert,
    AlertKind,
    EventKind,
    Handoff,
    HandoffEvent,
    Handover,
    HelpRequest,
    Status,
)
from handoff.queue.services import queue_age
from tests.support.factories import handoff_body, post_signed
from tests.support.staff import make_staff, session_cookie, signed_in

HX = {"HX-Request": "true"}
ORIGIN = b"http://127.0.0.1:8000"


def _case(p, **body) -> str:
    return post_signed(
        Client(), p.url(), secret=p.inbound_secret, body=handoff_body(**body)
    ).json()["id"]


@pytest.mark.django_db
def test_the_floor_shows_open_cases_holders_and_people_and_is_closed_to_counselors(
    platform_factory,
) -> None:
    p = platform_factory()
    waiting, held = _case(p), _case(p)
    casey = make_staff("casey", display_name="Casey Counselor")
    sam = make_staff("sam", role=Role.SUPERVISOR, display_name="Sam Supervisor")
    signed_in(casey).post(f"/cases/{held}/claim")

    assert signed_in(casey).get("/floor/").status_code == 403
    assert Client().get("/floor/").status_code == 302  # anonymous: sign in first

    page = signed_in(sam).get("/floor/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="floor-case-{waiting}"' in html and f'id="floor-case-{held}"' in html
    assert "Casey Counselor" in html  # the holder
    assert 'data-testid="case-count">2<' in html
    # No personal data on the floor: the intake's name, phone and transcript stay on the case.
    body = handoff_body()
    for secret in ("+16145550142", "555-0142", "123 Main St", body["transcript"][0]["text"]):
        assert secret not in html
    # The navigation leads supervisors there.
    assert 'href="/floor/"' in signed_in(sam).get("/").content.decode()
    assert 'href="/floor/"' not in signed_in(casey).get("/").content.decode()


@pytest.mark.django_db
def test_a_missed_target_is_an_alert_that_stays_until_acknowledged(
    platform_factory, settings
) -> None:
    settings.QUEUE_TARGET_SECONDS = {t: 0 for t in settings.QUEUE_TARGET_SECONDS}
    p = platform_factory()
    case_id = _case(p)
    sam = make_staff("sam", role=Role.SUPERVISOR)
    assert queue_age() == 1
    alert = Alert.objects.get(handoff_id=case_id)
    assert alert.kind == AlertKind.TARGET_MISSED

    floor = signed_in(sam).get("/floor/").content.decode()
    assert f'data-alert-id="{alert.pk}"' in floor and f"/cases/{case_id}/" in floor
    assert signed_in(sam).get("/floor/").content.decode().count("Target missed") >= 1
    # Still there on the next visit: nobody has acknowledged it.
    assert f'data-alert-id="{alert.pk}"' in signed_in(sam).get("/floor/").content.decode()

    casey = make_staff("casey")
    assert signed_in(casey).post(f"/floor/alerts/{alert.pk}/acknowledge").status_code == 403
    ack = signed_in(sam).post(f"/floor/alerts/{alert.pk}/acknowledge", headers=HX)
    assert ack.status_code == 200
    assert f'data-alert-id="{alert.pk}"' not in signed_in(sam).get("/floor/").content.decode()
    event = HandoffEvent.objects.get(handoff_id=case_id, kind=EventKind.ALERT_ACKNOWLEDGED)
    assert event.actor == sam
    # A second click changes nothing and records nothing more.
    signed_in(sam).post(f"/floor/alerts/{alert.pk}/acknowledge", headers=HX)
    assert HandoffEvent.objects.filter(kind=EventKind.ALERT_ACKNOWLEDGED).count() == 1
    assert signed_in(sam).post("/floor/alerts/999999/acknowledge", headers=HX).status_code == 409


@pytest.mark.django_db
def test_a_claim_is_refused_past_capacity_and_while_away_but_a_supervisor_may_assign(
    platform_factory, settings
) -> None:
    settings.COUNSELOR_MAX_OPEN_CASES = 2
    p = platform_factory()
    cases = [_case(p) for _ in range(4)]
    casey = make_staff("casey", display_name="Casey")
    sam = make_staff("sam", role=Role.SUPERVISOR)
    client = signed_in(casey)
    assert client.post(f"/cases/{cases[0]}/claim").status_code == 302
    assert client.post(f"/cases/{cases[1]}/claim").status_code == 302
    refused = client.post(f"/cases/{cases[2]}/claim", headers=HX)
    assert refused.status_code == 409
    assert "You hold 2 open cases, the most at once (2)" in refused.content.decode()
    assert Handoff.objects.get(pk=cases[2]).status == Status.QUEUED

    # The supervisor gives it anyway, with a note.
    given = signed_in(sam).post(
        f"/floor/cases/{cases[2]}/reassign",
        {"to": casey.pk, "note": "Knows the platform."},
        headers=HX,
    )
    assert given.status_code == 200, given.content
    case = Handoff.objects.get(pk=cases[2])
    assert case.status == Status.CLAIMED and case.claimed_by == casey
    assert HandoffEvent.objects.get(handoff_id=case.pk, kind=EventKind.CLAIMED).actor == sam
    page = client.get(f"/cases/{cases[2]}/").content.decode()
    assert "Knows the platform." in page

    # Away: no claim at all, whatever the count.
    jordan = make_staff("jordan")
    jc = signed_in(jordan)
    assert jc.post("/me/availability", {"availability": "away"}, headers=HX).status_code == 200
    away = jc.post(f"/cases/{cases[3]}/claim", headers=HX)
    assert away.status_code == 409 and "You are set to away" in away.content.decode()
    assert jc.post("/me/availability", {"availability": "nap"}, headers=HX).status_code == 400
    jc.post("/me/availability", {"availability": "available"}, headers=HX)
    assert jc.post(f"/cases/{cases[3]}/claim").status_code == 302


@pytest.mark.django_db
def test_a_transfer_needs_a_handover_note_stored_encrypted(platform_factory) -> None:
    p = platform_factory()
    case_id = _case(p)
    casey = make_staff("casey")
    jordan = make_staff("jordan", display_name="Jordan")
    client = signed_in(casey)
    client.post(f"/cases/{case_id}/claim")
    bare = client.post(f"/cases/{case_id}/transfer", {"to": jordan.pk}, headers=HX)
    assert bare.status_code == 409 and "handover note" in bare.content.decode()
    assert Handoff.objects.get(pk=case_id).claimed_by == casey

    note = "Said the pills are in the kitchen drawer."
    done = client.post(f"/cases/{case_id}/transfer", {"to": jordan.pk, "note": note}, headers=HX)
    assert done.status_code == 200
    assert Handoff.objects.get(pk=case_id).claimed_by == jordan
    assert Handover.objects.get(handoff_id=case_id).note == note
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM handoff_handover")
        (stored,) = cursor.fetchone()
    assert "kitchen" not in stored
    assert note in signed_in(jordan).get(f"/cases/{case_id}/").content.decode()


def _stored_help_text() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM handoff_helprequest")
        return str(cursor.fetchone()[0])


def _communicator(cookie: str, path: str = "/ws/floor/") -> WebsocketCommunicator:
    headers = [
        (b"cookie", f"sessionid={cookie}".encode()),
        (b"origin", ORIGIN),
        (b"host", b"127.0.0.1:8000"),
    ]
    return WebsocketCommunicator(application, path, headers=headers)


async def _next_floor(comm: WebsocketCommunicator) -> dict:
    for _ in range(10):
        message = json.loads(await comm.receive_from(timeout=5))
        if message["type"] == "floor.snapshot":
            return message
    raise AssertionError("no floor message")


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_asking_for_help_reaches_the_floor_live_and_the_answer_is_timed(
    platform_factory,
) -> None:
    p = await sync_to_async(platform_factory)()
    case_id = await sync_to_async(_case)(p)
    casey = await sync_to_async(make_staff)("casey", display_name="Casey")
    sam = await sync_to_async(make_staff)("sam", role=Role.SUPERVISOR, display_name="Sam")
    counselor = await sync_to_async(signed_in)(casey)
    await sync_to_async(counselor.post)(f"/cases/{case_id}/claim")

    # A counselor cannot open the floor's socket.
    refused = _communicator(await sync_to_async(session_cookie)(casey))
    connected, code = await refused.connect()
    assert not connected and code == 4403

    comm = _communicator(await sync_to_async(session_cookie)(sam))
    connected, _ = await comm.connect()
    assert connected
    first = await _next_floor(comm)
    assert first["help_ids"] == [] and f"floor-case-{case_id}" in first["html"]

    # Only the holder may ask, and a long text is refused, not a 500.
    other = await sync_to_async(signed_in)(await sync_to_async(make_staff)("jordan"))
    assert (await sync_to_async(other.post)(f"/cases/{case_id}/help")).status_code == 409
    too_long = await sync_to_async(counselor.post)(
        f"/cases/{case_id}/help", {"text": "x" * 500}, headers=HX
    )
    assert too_long.status_code == 400

    asked = await sync_to_async(counselor.post)(
        f"/cases/{case_id}/help", {"text": "Caller mentions a plan"}, headers=HX
    )
    assert asked.status_code == 200
    pushed = await _next_floor(comm)
    request = await HelpRequest.objects.aget(handoff_id=case_id)
    assert pushed["sound"] is True and pushed["help_ids"] == [str(request.pk)]
    assert "Casey" in pushed["html"] and "Caller mentions a plan" not in pushed["html"]
    assert await Alert.objects.filter(handoff_id=case_id, kind=AlertKind.HELP_REQUESTED).aexists()
    assert "plan" not in await sync_to_async(_stored_help_text)()

    supervisor = await sync_to_async(signed_in)(sam)
    answered = await sync_to_async(supervisor.post)(f"/floor/help/{request.pk}/answer", headers=HX)
    assert answered.status_code == 200 and answered["HX-Redirect"] == f"/cases/{case_id}/"
    cleared = await _next_floor(comm)
    assert cleared["help_ids"] == [] and cleared["sound"] is False
    request = await HelpRequest.objects.select_related("answered_by").aget(pk=request.pk)
    assert request.answered_by == sam
    assert request.answered_at is not None
    assert request.wait_s == int((request.answered_at - request.asked_at).total_seconds())
    # The help alert is settled with the answer.
    assert not await Alert.objects.filter(acknowledged_at__isnull=True).aexists()
    again = await sync_to_async(supervisor.post)(f"/floor/help/{request.pk}/answer", headers=HX)
    assert again.status_code == 409 and "Sam already answered" in again.content.decode()
    assert await HandoffEvent.objects.filter(kind=EventKind.HELP_ANSWERED).acount() == 1
    await comm.disconnect()
