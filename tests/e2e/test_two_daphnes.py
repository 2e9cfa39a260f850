"""Scale-out: two daphne processes share PostgreSQL and Redis. A handoff posted to one reaches
a dashboard socket connected to the other."""

import asyncio
import json

import httpx
import pytest
import websockets
from django.db import connection

from tests.e2e.test_browser_queue import post_handoff
from tests.support.servers import daphne
from tests.support.staff import make_staff, session_cookie

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


async def _next(ws, wanted: str) -> dict:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        if message["type"] == wanted:
            return message


def test_handoff_posted_to_one_process_appears_on_a_socket_of_the_other(platform_factory) -> None:
    p = platform_factory()
    cookie = session_cookie(make_staff("casey"))
    database = connection.settings_dict["NAME"]

    with daphne(database_name=database) as first, daphne(database_name=database) as second:
        assert httpx.get(f"{first}/readyz").json()["status"] == "ok"

        async def scenario() -> tuple[dict, str]:
            ws_url = second.replace("http://", "ws://") + "/ws/queue/"
            async with websockets.connect(
                ws_url, additional_headers={"Cookie": f"sessionid={cookie}", "Origin": second}
            ) as ws:
                snapshot = await _next(ws, "queue.snapshot")
                assert snapshot["waiting"] == 0
                case_id = await asyncio.to_thread(
                    post_handoff, first, p.slug, p.inbound_secret, "high"
                )
                return await _next(ws, "queue.update"), case_id

        update, case_id = asyncio.run(scenario())
    assert update["op"] == "upsert" and update["id"] == case_id
    assert update["waiting"] == 1
