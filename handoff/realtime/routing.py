from typing import Any, cast

from django.urls import URLPattern, path, re_path

from handoff.realtime.consumers import CaseConsumer, QueueConsumer
from handoff.realtime.origin import refuse

websocket_urlpatterns: list[URLPattern] = [
    path("ws/queue/", QueueConsumer.as_asgi(), name="ws-queue"),
    path("ws/cases/<uuid:handoff_id>/", CaseConsumer.as_asgi(), name="ws-case"),
    # Anything else is refused (403), not left to the router, which raises (a 500).
    re_path(r"", cast(Any, refuse), name="ws-unknown"),  # an ASGI app, not a view
]
