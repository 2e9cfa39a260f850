"""The websocket URLs: the counterpart of config/urls.py for sockets.

The dashboard consumer is transport (handoff.realtime) and the snapshot it sends is the queue's
(handoff.queue.notify). They meet here, above both, so that every import points down: the
transport never imports the queue, which itself sends through the transport.
"""

from typing import Any, cast

from django.urls import URLPattern, path, re_path

from handoff.queue import notify
from handoff.realtime.consumers import CaseConsumer, Dashboard, FloorConsumer, QueueConsumer
from handoff.realtime.origin import refuse

DASHBOARD = Dashboard(
    snapshot_texts=notify.snapshot_texts, presence_changed=notify.presence_changed
)

websocket_urlpatterns: list[URLPattern] = [
    path("ws/queue/", QueueConsumer.as_asgi(dashboard=DASHBOARD), name="ws-queue"),
    path(
        "ws/floor/",
        FloorConsumer.as_asgi(
            snapshot_texts=notify.floor_snapshot_texts, presence_changed=notify.presence_changed
        ),
        name="ws-floor",
    ),
    path(
        "ws/cases/<uuid:handoff_id>/",
        CaseConsumer.as_asgi(presence_changed=notify.presence_changed),
        name="ws-case",
    ),
    # Anything else is refused (403), not left to the router, which raises (a 500).
    re_path(r"", cast(Any, refuse), name="ws-unknown"),  # an ASGI app, not a view
]
