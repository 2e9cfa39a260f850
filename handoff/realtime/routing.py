from django.urls import URLPattern, path

from handoff.realtime.consumers import QueueConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/queue/", QueueConsumer.as_asgi(), name="ws-queue"),
]
