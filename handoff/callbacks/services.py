"""Callbacks owed to platforms. Rows are written with the change (an outbox); sending is a task."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from handoff.callbacks.tasks import callback_dispatch
from handoff.models import Callback, CallbackEvent, CallbackStatus, Handoff, platform_status


def callback_payload(*, handoff: Handoff, event: CallbackEvent) -> dict[str, object]:
    """A Standard Webhooks body: the case's id, external id, status and time; nothing clinical.
    A `handoff.message` gets its text when it is sent (handoff.callbacks.sender), from the
    encrypted transcript line that relays it: the outbox never holds the words."""
    now = timezone.now()
    data: dict[str, object] = {
        "id": str(handoff.id),
        "external_id": handoff.external_id,
        "status": platform_status(handoff.status),
        "at": now.isoformat().replace("+00:00", "Z"),
    }
    return {"type": str(event), "timestamp": data["at"], "data": data}


def callback_enqueue(*, handoff: Handoff, event: CallbackEvent) -> Callback:
    """Record a callback in the caller's transaction and have it sent once that commits.

    Nothing is sent from the caller's request: a dead platform never slows a counselor. If the
    broker is down the row stays pending and the sweeper sends it. A `handoff.message` callback
    is sent with the text of the transcript line that points at it (`TranscriptMessage.callback`),
    which the caller writes in the same transaction.
    """
    platform = handoff.platform
    callback = Callback.objects.create(
        platform=platform,
        handoff=handoff,
        event=event,
        payload=callback_payload(handoff=handoff, event=event),
        status=CallbackStatus.PENDING if platform.callback_url else CallbackStatus.NO_URL,
        expires_at=timezone.now() + timedelta(hours=settings.CALLBACK_EXPIRY_HOURS),
    )
    if callback.status == CallbackStatus.PENDING:
        callback_id = str(callback.id)
        transaction.on_commit(lambda: callback_dispatch(callback_id))
    return callback
