"""Pins the Django internals config.asgi_handler relies on: if an upgrade changes how the
ASGIHandler builds its middleware chain or hands it a request, this fails, not every request."""

import asyncio
from unittest import mock

from channels.testing import HttpCommunicator
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.http import HttpRequest, HttpResponseBase

from config.asgi_handler import SyncViewsASGIHandler


def test_django_builds_the_chain_through_load_middleware_asking_for_async() -> None:
    with mock.patch.object(BaseHandler, "load_middleware", autospec=True) as load:
        ASGIHandler()
    load.assert_called_once()
    assert load.call_args.kwargs == {"is_async": True}


def test_the_chain_is_built_synchronous() -> None:
    handler = SyncViewsASGIHandler()
    chain = handler._middleware_chain  # type: ignore[attr-defined]
    assert not asyncio.iscoroutinefunction(chain)


def test_a_request_goes_through_get_response_async_to_the_sync_chain() -> None:
    seen: list[str] = []

    class Recording(SyncViewsASGIHandler):
        async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
            seen.append("async")
            return await super().get_response_async(request)

        def get_response(self, request: HttpRequest) -> HttpResponseBase:
            seen.append("event loop" if _in_event_loop() else "thread")
            return super().get_response(request)

    response = asyncio.run(
        HttpCommunicator(
            Recording(), "GET", "/no-such-page", headers=[(b"host", b"localhost")]
        ).get_response(timeout=30)
    )
    assert response["status"] == 404  # through the URLconf and every middleware, synchronously
    assert seen == ["async", "thread"]


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
