"""Redis restarts under a running console. It keeps nothing on disk, so the channel layer's
subscriptions and the queue's sequence number are gone with it, and the dashboard sockets stay
open: nothing tells them. A dashboard and a case page that stayed open must still catch up."""

import contextlib
import json
import time

import pytest
from django.db import connection
from websockets.sync.client import ClientConnection, connect

from handoff.queue.services import handoff_claim
from tests.e2e.test_browser_queue import post_handoff
from tests.support.servers import daphne, free_port, redis_server
from tests.support.staff import make_staff, session_cookie

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _next(ws: ClientConnection, wanted: str, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 0.01)))
        if message["type"] == wanted:
            return message


def _next_showing(ws: ClientConnection, case_id: str, timeout: float = 15) -> dict:
    """The next snapshot or update that draws `case_id`."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 0.01)))
        if message["type"] == "queue.snapshot" and case_id in message["rows_html"]:
            return message
        if message["type"] == "queue.update" and message["id"] == case_id:
            return message


def test_sockets_open_across_a_redis_restart_catch_up_unasked(platform_factory) -> None:
    p = platform_factory()
    casey = make_staff("casey")
    cookie = session_cookie(casey)
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"

    with contextlib.ExitStack() as redis, contextlib.ExitStack() as sockets:
        redis.enter_context(redis_server(port))
        console = sockets.enter_context(
            daphne(database_name=connection.settings_dict["NAME"], redis_url=url)
        )
        ws_base = console.replace("http://", "ws://")
        headers = {"Cookie": f"sessionid={cookie}", "Origin": console}
        ws = sockets.enter_context(connect(f"{ws_base}/ws/queue/", additional_headers=headers))
        assert _next(ws, "queue.snapshot")["waiting"] == 0
        first = post_handoff(console, p.slug, p.inbound_secret, "high")
        before = _next(ws, "queue.update")
        assert before["id"] == first
        page = sockets.enter_context(
            connect(f"{ws_base}/ws/cases/{first}/", additional_headers=headers)
        )

        # Stopped, and started again on the same port with nothing in it; the sockets stayed
        # open throughout and say nothing. In between the case is claimed, and whatever was
        # published about it is lost to this console (here it goes to the tests' own Redis).
        redis.close()
        claimed = handoff_claim(handoff_id=first, counselor=casey)
        redis.enter_context(redis_server(port))

        # The console sends the dashboard a fresh snapshot, and the case page its case's
        # version, without being asked.
        snapshot = _next(ws, "queue.snapshot")
        assert snapshot["waiting"] == 0
        assert first not in snapshot["rows_html"]
        assert _next(page, "case.version")["version"] == claimed.version

        # Subscribed again by then: the next case arrives as a push, numbered above anything
        # before the restart (a browser that missed the snapshot would drop an update numbered
        # below the last it drew as old; a jump makes it resync).
        second = post_handoff(console, p.slug, p.inbound_secret, "imminent")
        after = _next_showing(ws, second)
        assert after["type"] == "queue.update"
        assert after["waiting"] == 1
        assert after["seq"] > before["seq"] + 1
