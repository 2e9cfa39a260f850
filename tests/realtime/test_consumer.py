"""The dashboard socket through config.asgi.application, with a real session and Origin."""

import json

import pytest
from channels.db import database_sync_to_async as sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from handoff.queue.services import handoff_claim
from tests.support.factories import handoff_body, post_signed
from tests.support.staff import make_staff, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = b"http://127.0.0.1:8000"


def _communicator(cookie: str | None, origin: bytes | None = ORIGIN) -> WebsocketCommunicator:
    headers = []
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    if origin:
        headers.append((b"origin", origin))
    # A browser always names the host it connects to; the origin must match it.
    headers.append((b"host", b"127.0.0.1:8000"))
    return WebsocketCommunicator(application, "/ws/queue/", headers=headers)


async def _receive_type(comm: WebsocketCommunicator, wanted: str) -> dict:
    """The next message of a type, skipping others (presence, personal lists)."""
    for _ in range(10):
        message = json.loads(await comm.receive_from(timeout=5))
        if message["type"] == wanted:
            return message
    raise AssertionError(f"no {wanted} message")


async def test_anonymous_connection_is_refused() -> None:
    comm = _communicator(cookie=None)
    connected, _ = await comm.connect()
    assert not connected


async def test_wrong_origin_is_refused(platform_factory) -> None:
    user = await sync_to_async(make_staff)("olivia")
    comm = _communicator(await sync_to_async(session_cookie)(user), origin=b"https://evil.example")
    connected, _ = await comm.connect()
    assert not connected


async def test_snapshot_on_connect_then_live_updates(platform_factory) -> None:
    p = await sync_to_async(platform_factory)()
    user = await sync_to_async(make_staff)("casey", display_name="Casey")
    waiting = await sync_to_async(post_signed)(
        Client(), p.url(), secret=p.inbound_secret, body=handoff_body()
    )
    waiting_id = waiting.json()["id"]

    comm = _communicator(await sync_to_async(session_cookie)(user))
    connected, _ = await comm.connect()
    assert connected
    snapshot = await _receive_type(comm, "queue.snapshot")
    assert f'id="case-{waiting_id}"' in snapshot["rows_html"]
    assert snapshot["waiting"] == 1
    assert "summary pending" in snapshot["rows_html"]
    # No personal data in what every dashboard receives.
    assert "+16145550142" not in json.dumps(snapshot) and "Main St" not in json.dumps(snapshot)

    # A new signed handoff appears as an update with the next sequence number.
    posted = await sync_to_async(post_signed)(
        Client(), p.url(), secret=p.inbound_secret, body=handoff_body(risk={"level": "imminent"})
    )
    update = await _receive_type(comm, "queue.update")
    assert update["op"] == "upsert" and update["id"] == posted.json()["id"]
    assert update["tier"] == "imminent" and "Imminent" in update["html"]
    assert update["waiting"] == 2
    assert update["seq"] > snapshot["seq"]

    # A claim removes the row from every dashboard.
    other = await sync_to_async(make_staff)("jordan", display_name="Jordan")
    await sync_to_async(handoff_claim)(handoff_id=waiting_id, counselor=other)
    removal = await _receive_type(comm, "queue.update")
    assert removal == removal | {"op": "remove", "id": waiting_id, "waiting": 1}
    assert removal["seq"] == update["seq"] + 1
    await comm.disconnect()


async def test_claimer_gets_their_own_list_and_resync_sends_a_snapshot(platform_factory) -> None:
    p = await sync_to_async(platform_factory)()
    user = await sync_to_async(make_staff)("riley", display_name="Riley")
    posted = await sync_to_async(post_signed)(
        Client(), p.url(), secret=p.inbound_secret, body=handoff_body()
    )
    comm = _communicator(await sync_to_async(session_cookie)(user))
    assert (await comm.connect())[0]
    mine = await _receive_type(comm, "queue.mine")
    assert "You hold no cases" in mine["html"]

    await sync_to_async(handoff_claim)(handoff_id=posted.json()["id"], counselor=user)
    mine = await _receive_type(comm, "queue.mine")
    assert f"/cases/{posted.json()['id']}/" in mine["html"]

    await comm.send_json_to({"type": "resync"})
    snapshot = await _receive_type(comm, "queue.snapshot")
    assert snapshot["waiting"] == 0
    await comm.disconnect()


async def test_presence_shows_who_is_online(platform_factory) -> None:
    first = await sync_to_async(make_staff)("amal", display_name="Amal")
    second = await sync_to_async(make_staff)("bo", display_name="Bo")
    comm1 = _communicator(await sync_to_async(session_cookie)(first))
    assert (await comm1.connect())[0]
    comm2 = _communicator(await sync_to_async(session_cookie)(second))
    assert (await comm2.connect())[0]
    presence = await _receive_type(comm1, "queue.presence")
    while "Bo" not in presence["html"]:
        presence = await _receive_type(comm1, "queue.presence")
    assert "Amal" in presence["html"]
    await comm2.disconnect()
    presence = await _receive_type(comm1, "queue.presence")
    assert "Bo" not in presence["html"] and "Amal" in presence["html"]
    await comm1.disconnect()


async def test_summary_appears_live_on_the_dashboard(platform_factory) -> None:
    from handoff.summary.services import summary_build

    p = await sync_to_async(platform_factory)()
    user = await sync_to_async(make_staff)("sam")
    body = handoff_body(
        transcript=[
            {"role": "user", "text": "I already took 40 pills", "at": "2026-11-27T02:01:40Z"}
        ]
    )
    posted = await sync_to_async(post_signed)(Client(), p.url(), secret=p.inbound_secret, body=body)
    case_id = posted.json()["id"]
    comm = _communicator(await sync_to_async(session_cookie)(user))
    assert (await comm.connect())[0]
    snapshot = await _receive_type(comm, "queue.snapshot")
    assert "summary pending" in snapshot["rows_html"]

    await sync_to_async(summary_build)(handoff_id=case_id, transcript_version=1)

    update = await _receive_type(comm, "queue.update")
    assert update["id"] == case_id and update["op"] == "upsert"
    assert "Machine-made summary" in update["html"] and "summary pending" not in update["html"]
    assert update["tier"] == "imminent"
    await comm.disconnect()


@pytest.mark.slow
async def test_an_idle_dashboard_stays_connected(platform_factory) -> None:
    """Nothing may happen on a quiet shift for a while: the socket must outlive Redis's and the
    channel layer's read timeouts (5 s in redis-py; proving an absence takes waiting past it)."""
    user = await sync_to_async(make_staff)("quiet")
    comm = _communicator(await sync_to_async(session_cookie)(user))
    assert (await comm.connect())[0]
    await _receive_type(comm, "queue.snapshot")
    # The own-cases list, then presence (broadcast about a second after an arrival).
    while not await comm.receive_nothing(timeout=2):
        await comm.receive_from()
    assert await comm.receive_nothing(timeout=7, interval=0.5)
    await comm.send_json_to({"type": "resync"})
    snapshot = await _receive_type(comm, "queue.snapshot")
    assert snapshot["type"] == "queue.snapshot"
    await comm.disconnect()


async def test_heartbeat_answers_with_the_newest_sequence(platform_factory) -> None:
    """What lets a browser notice an update it never received."""
    p = await sync_to_async(platform_factory)()
    user = await sync_to_async(make_staff)("beat")
    comm = _communicator(await sync_to_async(session_cookie)(user))
    assert (await comm.connect())[0]
    snapshot = await _receive_type(comm, "queue.snapshot")
    await comm.send_json_to({"type": "heartbeat"})
    assert (await _receive_type(comm, "heartbeat.ack"))["seq"] == snapshot["seq"]

    await sync_to_async(post_signed)(
        Client(), p.url(), secret=p.inbound_secret, body=handoff_body()
    )
    update = await _receive_type(comm, "queue.update")
    await comm.send_json_to({"type": "heartbeat"})
    assert (await _receive_type(comm, "heartbeat.ack"))["seq"] == update["seq"]
    await comm.disconnect()


async def test_heartbeat_says_updates_are_delayed_while_redis_is_gone(monkeypatch) -> None:
    """Pub/sub says nothing when Redis goes away; the heartbeat notices and tells the page its
    updates are delayed (it stops saying "Live"). The socket stays open: once Redis answers,
    the page's resync brings a snapshot."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from handoff.realtime import consumers

    user = await sync_to_async(make_staff)("outage")
    comm = _communicator(await sync_to_async(session_cookie)(user))
    assert (await comm.connect())[0]
    await _receive_type(comm, "queue.snapshot")

    def gone() -> int:
        raise RedisConnectionError("connection refused")

    with monkeypatch.context() as outage:
        outage.setattr(consumers, "current_seq", gone)
        await comm.send_json_to({"type": "heartbeat"})
        assert await _receive_type(comm, "updates.delayed") == {"type": "updates.delayed"}

    await comm.send_json_to({"type": "heartbeat"})
    assert isinstance((await _receive_type(comm, "heartbeat.ack"))["seq"], int)
    await comm.send_json_to({"type": "resync"})
    await _receive_type(comm, "queue.snapshot")
    await comm.disconnect()
