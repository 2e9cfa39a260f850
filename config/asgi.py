"""ASGI entry point: HTTP through Django; websockets through channels, behind origin and auth."""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django must be set up before anything imports models (what get_asgi_application() does).
django.setup(set_prefix=False)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.template.loader import get_template  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from config.asgi_handler import SyncViewsASGIHandler  # noqa: E402
from handoff.realtime.origin import SameOriginValidator  # noqa: E402
from handoff.routing import websocket_urlpatterns  # noqa: E402

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
    the templates loaded, that is over a hundred thousand objects, during which no request is
    answered and no dashboard hears anything (it showed as the 99th percentile of the
    benchmarks; figures in docs/benchmarks.md). What is loaded at start lives as long as the
    process, so it is frozen out of collection; what requests create is collected as usual.
    """
    patterns = get_resolver().url_patterns  # imports every view
    assert patterns
    for name in ("queue/dashboard.html", "cases/detail.html"):
        get_template(name)
    gc.collect()
    gc.freeze()


_settle_long_lived_objects()
