"""A session that ends closes the sockets opened with it, through config.asgi.application:
signing out closes that browser's sockets (and not the person's other browser's), signing out
everywhere closes them all, and a socket of a session gone idle closes at its next heartbeat."""

import json
import time
from datetime import timedelta

import pytest
import time_machine
from channels.db import database_sync_to_async as sync_to_async
from django.test import Client

from tests.support.sockets import socket
from tests.support.staff import make_staff, signed_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def _until(comm, wanted: str) -> dict:
    for _ in range(10):
        output = await comm.receive_output(timeout=5)
        if output["type"] == wanted:
            return output
        if output["type"] == "websocket.send" and json.loads(output["text"])["type"] == wanted:
            return output
    raise AssertionError(f"no {wanted}")


async def _open_dashboard(cookie: str):
    dashboard = socket("/ws/queue/", cookie=cookie)
    assert (await dashboard.connect(timeout=5))[0]
    await _until(dashboard, "queue.snapshot")
    return dashboard


async def _still_open(dashboard) -> bool:
    await dashboard.send_json_to({"type": "heartbeat"})
    return (await _until(dashboard, "heartbeat.ack"))["type"] == "websocket.send"


async def test_signing_out_closes_that_browsers_sockets_only() -> None:
    casey = await sync_to_async(make_staff)("casey")
    desk = await sync_to_async(signed_in)(casey)
    phone = await sync_to_async(signed_in)(casey)
    desk_socket = await _open_dashboard(desk.cookies["sessionid"].value)
    phone_socket = await _open_dashboard(phone.cookies["sessionid"].value)

    assert (await sync_to_async(desk.post)("/accounts/logout/")).status_code == 302
    assert (await _until(desk_socket, "websocket.close"))["code"] == 4401
    assert await _still_open(phone_socket)

    # Signing out everywhere closes the rest.
    response = await sync_to_async(phone.post)("/account/sign-out-everywhere")
    assert response.status_code == 302
    assert (await _until(phone_socket, "websocket.close"))["code"] == 4401


async def test_a_supervisor_ending_a_persons_sessions_closes_their_sockets() -> None:
    from counselors.models import Role

    casey = await sync_to_async(make_staff)("casey")
    morgan = await sync_to_async(make_staff)("morgan", role=Role.SUPERVISOR)
    caseys = await _open_dashboard(
        (await sync_to_async(signed_in)(casey)).cookies["sessionid"].value
    )
    supervisor = await sync_to_async(signed_in)(morgan)
    floor = socket("/ws/floor/", cookie=supervisor.cookies["sessionid"].value)
    assert (await floor.connect(timeout=5))[0]

    assert (
        await sync_to_async(supervisor.post)(f"/staff/{casey.pk}/sessions/end")
    ).status_code == 200
    assert (await _until(caseys, "websocket.close"))["code"] == 4401
    await floor.disconnect()


async def test_a_socket_of_an_idle_session_closes_at_its_next_heartbeat() -> None:
    """No message tells a socket that its session went idle: the heartbeat finds out (and
    heartbeats are not activity, so a dashboard left open does not keep the session)."""
    with time_machine.travel(time.time(), tick=False) as clock:
        casey = await sync_to_async(make_staff)("casey")
        cookie = (await sync_to_async(signed_in)(casey)).cookies["sessionid"].value
        dashboard = await _open_dashboard(cookie)
        for _ in range(3):
            clock.shift(timedelta(minutes=9))
            assert await _still_open(dashboard)
        clock.shift(timedelta(minutes=3))
        await dashboard.send_json_to({"type": "heartbeat"})
        assert (await _until(dashboard, "websocket.close"))["code"] == 4401
        # A new socket with the same cookie is closed before it hears anything.
        again = socket("/ws/queue/", cookie=cookie)
        await again.connect(timeout=5)
        assert (await again.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4401}
        case_page = socket("/ws/floor/", cookie=cookie)
        assert (await case_page.connect(timeout=5)) == (False, 4401)


async def test_a_socket_needs_a_session_verified_by_the_second_factor() -> None:
    casey = await sync_to_async(make_staff)("casey")
    browser = Client()
    await sync_to_async(browser.force_login)(casey)  # signed in by no device
    cookie = browser.cookies["sessionid"].value
    # The dashboard hears nothing of the queue: it is closed at once.
    dashboard = socket("/ws/queue/", cookie=cookie)
    await dashboard.connect(timeout=5)
    assert (await dashboard.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4401}
    # The other sockets refuse it before accepting.
    assert (await socket("/ws/floor/", cookie=cookie).connect(timeout=5)) == (False, 4401)
