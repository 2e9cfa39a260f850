"""Django's ASGI handler, with the whole middleware chain run synchronously.

This leans on how Django's ASGIHandler works inside, which is not public API: its `__init__`
builds the chain with `load_middleware(is_async=True)`, and each request goes through
`get_response_async(request)`. tests/config/test_asgi_handler.py pins both, so a Django upgrade
that changes them fails a test instead of every request.
"""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase


class SyncViewsASGIHandler(ASGIHandler):
    """Django's ASGI handler for a project whose views and middleware are all synchronous.

    The stock handler builds an async middleware chain around sync views, which switches
    between the event loop and the request's thread several times per request, which cost more
    CPU than the work itself (figures in docs/benchmarks.md). Here the whole chain runs in the
    request's thread, entered once. Request parsing,
    the request_started/finished signals and response streaming stay Django's own.
    """

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
