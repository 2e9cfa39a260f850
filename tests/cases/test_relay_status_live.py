"""A relayed message's status follows its callback on the open case page, without a reload:
"sending…" until the platform accepts it ("sent"), or until it is given up ("failed")."""

import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async as sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from config.asgi import application
from handoff.callbacks.sender import callback_attempt, callbacks_expire
from handoff.models import Callback, CallbackEvent, CallbackStatus
from tests.cases.conftest import CaseWorld
from tests.support.receiver import Receiver
from tests.support.staff import session_cookie


def _relay(world: CaseWorld, text: str) -> str:
    assert world.client.post(f"{world.url}relay", {"text": text}).status_code == 302
    callback = Callback.objects.filter(
        handoff_id=world.case_id, event=CallbackEvent.MESSAGE
    ).latest("created_at")
    assert callback.status == CallbackStatus.PENDING
    return str(callback.pk)


def _statuses(world: CaseWorld) -> tuple[str, list[str]]:
    """The live fragment the page fetches when told: its version and each relay's status."""
    html = world.client.get(f"{world.url}live").content.decode()
    version = html.split('data-version="', 1)[1].split('"', 1)[0]
    shown = [
        part.split(">", 1)[1].split("</span>", 1)[0]
        for part in html.split('data-testid="relay-status"')[1:]
    ]
    return version, shown


def _give_up(callback_id: str) -> None:
    past = timezone.now() - timedelta(seconds=1)
    Callback.objects.filter(pk=callback_id).update(expires_at=past, next_attempt_at=past)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_relay_status_changes_on_the_open_page_as_the_callback_settles(
    platform_factory,
) -> None:
    world = await sync_to_async(CaseWorld)(platform_factory)
    with Receiver(world.platform.outbound_secret) as receiver:
        platform = world.platform.platform
        platform.callback_url = receiver.url
        await sync_to_async(platform.save)(update_fields=["callback_url"])
        first = await sync_to_async(_relay)(world, "I'm here. Are you safe right now?")
        second = await sync_to_async(_relay)(world, "Can you tell me where you are?")
        _, shown = await sync_to_async(_statuses)(world)
        assert shown == ["sending…", "sending…"]

        cookie = await sync_to_async(session_cookie)(world.counselor)
        page = WebsocketCommunicator(
            application,
            f"/ws/cases/{world.case_id}/",
            headers=[
                (b"cookie", f"sessionid={cookie}".encode()),
                (b"origin", b"http://127.0.0.1"),
                (b"host", b"127.0.0.1"),
            ],
        )
        assert (await page.connect())[0]

        # The platform accepts the first: the open page is told, and its fragment says so.
        assert (await sync_to_async(callback_attempt)(first)).outcome == "delivered"
        told = json.loads(await page.receive_from(timeout=5))
        assert told["type"] == "case.changed"
        version, shown = await sync_to_async(_statuses)(world)
        assert shown == ["sent", "sending…"] and version == str(told["version"])

        # The second is never accepted and expires: "failed", on the page at once.
        await sync_to_async(_give_up)(second)
        assert await sync_to_async(callbacks_expire)() == 1
        told = json.loads(await page.receive_from(timeout=5))
        assert told["type"] == "case.changed"
        version, shown = await sync_to_async(_statuses)(world)
        assert shown == ["sent", "failed: not delivered to the platform"]
        # A page that missed the push sees the newer version at its next check.
        await page.send_json_to({"type": "check"})
        assert json.loads(await page.receive_from(timeout=5)) == {
            "type": "case.version",
            "version": int(version),
        }
        await page.disconnect()
