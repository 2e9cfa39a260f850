"""Switching an account off shuts it out at once: its open sockets close and its sessions end.
The admin's change form posted as a real admin would; sockets through config.asgi.application."""

import json

import pytest
from channels.db import database_sync_to_async as sync_to_async
from django.contrib.sessions.models import Session

from counselors.models import Role, User
from tests.cases.conftest import CaseWorld
from tests.counselors.admin_form import post_change
from tests.support.sockets import socket
from tests.support.staff import make_staff, signed_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def _until(comm, wanted: str) -> dict:
    """The next output of a type (websocket.close), or the next message of a type."""
    for _ in range(10):
        output = await comm.receive_output(timeout=5)
        if output["type"] == wanted:
            return output
        if output["type"] == "websocket.send" and json.loads(output["text"])["type"] == wanted:
            return output
    raise AssertionError(f"no {wanted}")


def _sessions_of(user: User) -> int:
    return sum(
        1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)
    )


async def test_deactivating_in_the_admin_closes_the_open_sockets_and_ends_the_sessions(
    platform_factory,
) -> None:
    world = await sync_to_async(CaseWorld)(platform_factory)  # Casey holds a case
    casey = world.counselor
    browser = world.client  # Casey's signed-in browser
    cookie = browser.cookies["sessionid"].value
    dashboard = socket("/ws/queue/", cookie=cookie)
    case_page = socket(f"/ws/cases/{world.case_id}/", cookie=cookie)
    assert (await dashboard.connect(timeout=5))[0]
    assert (await case_page.connect(timeout=5))[0]
    await _until(dashboard, "queue.snapshot")
    assert await sync_to_async(_sessions_of)(casey) == 1

    ada = await sync_to_async(make_staff)("ada", role=Role.ADMIN)
    admin = await sync_to_async(signed_in)(ada)
    saved = await sync_to_async(post_change)(admin, casey, is_active=False)
    assert saved.status_code == 302

    # Both sockets are told to sign in again (4401: the page does not reconnect).
    assert (await _until(dashboard, "websocket.close"))["code"] == 4401
    assert (await _until(case_page, "websocket.close"))["code"] == 4401
    assert await sync_to_async(_sessions_of)(casey) == 0
    # A socket opened again with the same cookie is refused.
    assert not (await socket("/ws/queue/", cookie=cookie).connect(timeout=5))[0]

    # Switched back on, the account must sign in again: the old session is gone for good.
    assert (await sync_to_async(post_change)(admin, casey, is_active=True)).status_code == 302
    page = await sync_to_async(browser.get)("/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")


async def test_a_socket_whose_close_was_lost_closes_at_its_next_heartbeat() -> None:
    """With the channel layer down when the account was switched off, the close never reached
    the socket; its heartbeat finds the account off."""
    casey = await sync_to_async(make_staff)("casey")
    cookie = (await sync_to_async(signed_in)(casey)).cookies["sessionid"].value
    dashboard = socket("/ws/queue/", cookie=cookie)
    assert (await dashboard.connect(timeout=5))[0]
    await _until(dashboard, "queue.snapshot")

    # Bypasses save(): nothing is told, as if the message had been lost.
    await sync_to_async(User.objects.filter(pk=casey.pk).update)(is_active=False)
    await dashboard.send_json_to({"type": "heartbeat"})
    assert (await _until(dashboard, "websocket.close"))["code"] == 4401
