"""A frame nested deeper than the JSON parser recurses is ignored like any other frame it
cannot read: the socket stays open and answers the next one (found by
tests/test_hostile_sweep.py: it raised RecursionError and closed the socket with an error)."""

import json

import pytest
from channels.db import database_sync_to_async

from handoff.realtime.consumers import message_type
from tests.support.sockets import socket
from tests.support.staff import make_staff, session_cookie

DEEP = "[" * 100_000 + "]" * 100_000


def test_a_frame_too_deep_to_parse_has_no_type() -> None:
    assert message_type(DEEP) is None
    assert message_type('{"type": "heartbeat"}') == "heartbeat"


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_dashboard_socket_answers_after_a_frame_too_deep_to_parse() -> None:
    user = await database_sync_to_async(make_staff)("casey")
    comm = socket("/ws/queue/", cookie=await database_sync_to_async(session_cookie)(user))
    connected, _ = await comm.connect()
    assert connected
    await comm.send_to(text_data=DEEP)
    await comm.send_to(text_data='{"type": "heartbeat"}')
    for _ in range(10):
        message = json.loads(await comm.receive_from(timeout=10))
        if message["type"] == "heartbeat.ack":
            break
    else:
        raise AssertionError("no heartbeat.ack")
    await comm.disconnect()
