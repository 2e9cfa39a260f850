"""Who may take a case's record away, and the trace every door leaves: the real views with
signed-in clients, the case socket through config.asgi.application."""

import logging
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async as sync_to_async
from django.test import Client

from counselors.models import Role
from handoff.models import EventKind, HandoffEvent, Note
from tests.cases.conftest import CaseWorld
from tests.support.factories import handoff_body, post_signed
from tests.support.sockets import socket
from tests.support.staff import make_staff, session_cookie, signed_in

PERSONAL = ("+16145550142", "123 Main St", "bottle of pills", "Sam")


def _waiting_case(world: CaseWorld) -> str:
    response = post_signed(
        Client(), world.platform.url(), secret=world.platform.inbound_secret, body=handoff_body()
    )
    assert response.status_code == 202
    return str(response.json()["id"])


def _events(case_id: str, kind: EventKind, user) -> list[HandoffEvent]:
    return list(HandoffEvent.objects.filter(handoff_id=case_id, kind=kind, actor=user))


@pytest.mark.django_db
def test_a_counselor_cannot_export_a_waiting_case_without_claiming_it(world: CaseWorld) -> None:
    waiting = _waiting_case(world)
    jordan = make_staff("jordan")
    client = signed_in(jordan)

    # Reading a waiting case to decide whether to take it stays open to every counselor...
    page = client.get(f"/cases/{waiting}/")
    assert page.status_code == 200
    assert f"/cases/{waiting}/export" not in page.content.decode()  # no link to a refusal

    # ...taking its whole record away does not.
    refused = client.get(f"/cases/{waiting}/export")
    assert refused.status_code == 403
    body = refused.content.decode()
    assert "not yours to export" in body and "Claim it first" in body
    assert not any(value in body for value in PERSONAL)
    assert not _events(waiting, EventKind.EXPORTED, jordan)
    assert [e.data for e in _events(waiting, EventKind.ACCESS_REFUSED, jordan)] == [
        {"door": "case-export"}
    ]

    # Holding it, the record is theirs; a supervisor may export without holding it.
    assert client.post(f"/cases/{waiting}/claim").status_code == 302
    exported = client.get(f"/cases/{waiting}/export")
    assert exported.status_code == 200
    assert "+16145550142" in exported.content.decode()
    assert f"/cases/{waiting}/export" in client.get(f"/cases/{waiting}/").content.decode()
    supervisor = signed_in(world.supervisor)
    assert supervisor.get(f"{world.url}export").status_code == 200
    assert len(_events(world.case_id, EventKind.EXPORTED, world.supervisor)) == 1


@pytest.mark.django_db
def test_the_live_refresh_leaves_a_trace_shared_by_the_refreshes_of_one_open_page(
    world: CaseWorld, monkeypatch
) -> None:
    for _ in range(3):  # an open page fetching its changing part on every change
        live = world.client.get(f"{world.url}live")
        assert live.status_code == 200
        assert "bottle of pills" in live.content.decode()
    views = _events(world.case_id, EventKind.VIEWED, world.counselor)
    assert [e.data for e in views] == [{"door": "case-live"}]

    # Another reader leaves their own trace.
    assert signed_in(world.supervisor).get(f"{world.url}live").status_code == 200
    assert len(_events(world.case_id, EventKind.VIEWED, world.supervisor)) == 1

    # Past the shared window, a refresh is a new view.
    monkeypatch.setattr("handoff.events.VIEW_SHARED_WINDOW", timedelta(0))
    assert world.client.get(f"{world.url}live").status_code == 200
    assert len(_events(world.case_id, EventKind.VIEWED, world.counselor)) == 2


@pytest.mark.django_db
def test_a_page_load_and_the_refreshes_after_it_share_one_view(world: CaseWorld) -> None:
    assert world.client.get(world.url).status_code == 200
    assert world.client.get(f"{world.url}live").status_code == 200
    assert len(_events(world.case_id, EventKind.VIEWED, world.counselor)) == 1


@pytest.mark.django_db
def test_refused_attempts_on_a_colleagues_case_are_logged_and_traced(
    world: CaseWorld, caplog
) -> None:
    """Casey holds the case; Jordan tries every door."""
    jordan = make_staff("jordan")
    client = signed_in(jordan)
    caplog.set_level(logging.INFO)

    doors = {
        "case-detail": client.get(world.url),
        "case-live": client.get(f"{world.url}live"),
        "case-export": client.get(f"{world.url}export"),
        "case-emergency": client.get(f"{world.url}emergency"),
        "case-note": client.post(f"{world.url}notes", {"text": "mine now"}),
        "case-close": client.post(f"{world.url}close", {"outcome": "resolved"}),
    }
    for door, response in doors.items():
        assert response.status_code == 403, door
        assert not any(value in response.content.decode() for value in PERSONAL), door

    refused = _events(world.case_id, EventKind.ACCESS_REFUSED, jordan)
    assert [e.data["door"] for e in refused] == list(doors)
    assert not world.handoff().notes.exists()

    lines = [r for r in caplog.records if r.getMessage().startswith("access refused")]
    assert [r.getMessage() for r in lines] == [
        f"access refused: user={jordan.pk} case={world.case_id} door={door}" for door in doors
    ]
    assert [(r.user_id, r.handoff_id, r.door) for r in lines] == [
        (jordan.pk, world.case_id, door) for door in doors
    ]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(value in logged for value in PERSONAL)


@pytest.mark.django_db
def test_an_action_on_a_waiting_case_not_held_is_refused_and_traced(world: CaseWorld) -> None:
    waiting = _waiting_case(world)
    jordan = make_staff("jordan")
    response = signed_in(jordan).post(f"/cases/{waiting}/notes", {"text": "before claiming"})
    assert response.status_code == 403
    assert not Note.objects.filter(handoff_id=waiting).exists()
    assert [e.data for e in _events(waiting, EventKind.ACCESS_REFUSED, jordan)] == [
        {"door": "case-note"}
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_refused_case_socket_is_traced(platform_factory) -> None:
    world = await sync_to_async(CaseWorld)(platform_factory)
    jordan = await sync_to_async(make_staff)("jordan", role=Role.COUNSELOR)
    comm = socket(f"/ws/cases/{world.case_id}/", cookie=await sync_to_async(session_cookie)(jordan))
    connected, code = await comm.connect(timeout=5)
    assert not connected and code == 4403
    refused = await sync_to_async(_events)(world.case_id, EventKind.ACCESS_REFUSED, jordan)
    assert [e.data for e in refused] == [{"door": "ws-case"}]
