"""ASGI entry point: HTTP through Django; websockets through channels, behind origin and auth."""

import gc
import os

import django
from asgiref.sync import sync_to_async

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django must be set up before anything imports models (what get_asgi_application() does).
django.setup(set_prefix=False)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402
from django.http import HttpRequest, HttpResponseBase  # noqa: E402

from handoff.realtime.origin import SameOriginValidator  # noqa: E402
from handoff.realtime.routing import websocket_urlpatterns  # noqa: E402


class SyncViewsASGIHandler(ASGIHandler):
    """Django's ASGI handler for a project whose views and middleware are all synchronous.

    The stock handler builds an async middleware chain around sync views, which switches
    between the event loop and the request's thread several times per request (about 3 ms of
    CPU for a hello through daphne on this project's machine, against under 1 ms for the work
    itself). Here the whole chain runs in the request's thread, entered once. Request parsing,
    the request_started/finished signals and response streaming stay Django's own.
    """

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


django_asgi_app = SyncViewsASGIHandler()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)


def _settle_long_lived_objects() -> None:
    """Load what every request needs, then exclude it all from the cyclic garbage collector.

    A full collection walks every object in the process: with Django, the URLconf, the views and
    the templates loaded, that is about 140,000 objects and 180 ms here, during which no request
    is answered and no dashboard hears anything (it showed as the 99th percentile of the
    benchmarks). What is loaded at start lives as long as the process, so it is frozen out of
    collection; what requests create is collected as usual.
    """
    from django.template.loader import get_template
    from django.urls import get_resolver

    patterns = get_resolver().url_patterns  # imports every view
    assert patterns
    for name in ("queue/dashboard.html", "cases/detail.html"):
        get_template(name)
    gc.collect()
    gc.freeze()


_settle_long_lived_objects()
