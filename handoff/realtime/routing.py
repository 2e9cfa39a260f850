from django.urls import URLPattern, path

from handoff.realtime.consumers import CaseConsumer, QueueConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/queue/", QueueConsumer.as_asgi(), name="ws-queue"),
    path("ws/cases/<uuid:handoff_id>/", CaseConsumer.as_asgi(), name="ws-case"),
]
