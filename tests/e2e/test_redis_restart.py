"""Redis restarts under a running console. It keeps nothing on disk, so the channel layer's
subscriptions and the queue's sequence number are gone with it, and the dashboard sockets stay
open: nothing tells them. A dashboard that stayed open must still be shown the next case."""

import contextlib
import json
import time

import pytest
from django.db import connection
from websockets.sync.client import ClientConnection, connect

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


def test_a_dashboard_open_across_a_redis_restart_is_shown_the_next_case(platform_factory) -> None:
    p = platform_factory()
    cookie = session_cookie(make_staff("casey"))
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"

    with contextlib.ExitStack() as redis:
        redis.enter_context(redis_server(port))
        with daphne(database_name=connection.settings_dict["NAME"], redis_url=url) as console:
            ws_url = console.replace("http://", "ws://") + "/ws/queue/"
            headers = {"Cookie": f"sessionid={cookie}", "Origin": console}
            with connect(ws_url, additional_headers=headers) as ws:
                assert _next(ws, "queue.snapshot")["waiting"] == 0
                first = post_handoff(console, p.slug, p.inbound_secret, "high")
                before = _next(ws, "queue.update")
                assert before["id"] == first

                # Stopped, and started again on the same port with nothing in it; the socket
                # stayed open throughout and says nothing.
                redis.close()
                redis.enter_context(redis_server(port))

                second = post_handoff(console, p.slug, p.inbound_secret, "imminent")
                # Its update may be lost while the console subscribes again; the console then
                # sends the open dashboard a fresh snapshot, unasked.
                shown = _next_showing(ws, second)
                assert shown["waiting"] == 2

                third = post_handoff(console, p.slug, p.inbound_secret, "low")
                after = _next_showing(ws, third)
                assert after["type"] == "queue.update"
                # A browser that missed the snapshot would drop an update numbered below the
                # last it drew as old; the sequence jumped instead, which makes it resync.
                assert after["seq"] > before["seq"] + 1
