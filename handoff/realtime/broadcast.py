"""Tell dashboards that something changed, after the change is committed.

A push is a hint: the channel layer may drop it (at-most-once), so every dashboard can resync
from PostgreSQL (snapshot on connect, version gaps trigger a fresh snapshot).
"""

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

QUEUE_GROUP = "queue"


def _send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception as exc:
        # Redis down delays the dashboards (they resync on reconnect); it never fails the request.
        logger.warning("channel layer send to %s failed (%s)", group, type(exc).__name__)


def queue_changed_on_commit(*, handoff_id: str, event: str, version: int) -> None:
    """After commit, tell every queue dashboard that this case changed."""
    message = {
        "type": "queue.changed",
        "event": event,
        "handoff_id": handoff_id,
        "version": version,
    }
    transaction.on_commit(lambda: _send(QUEUE_GROUP, message))
