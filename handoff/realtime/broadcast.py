"""Sending to dashboards: the groups, the queue's sequence, and sends from synchronous code.

This is transport only. What a change means for the dashboards, and the fragments they get, is
the queue's (handoff.queue.notify): rendered and serialised there once per event, never once per
socket. A push is a hint: the channel layer may drop it (at-most-once), so every dashboard can
resync from PostgreSQL. Each queue update carries a number of this sequence, so a gap makes the
browser ask for a fresh snapshot.
"""

import logging
from typing import Any

from channels.layers import get_channel_layer

from handoff import runtime
from handoff.realtime import sender

logger = logging.getLogger(__name__)

QUEUE_GROUP = "queue"
SUPERVISORS_GROUP = "supervisors"
# The supervisors' floor pages: whole-floor redraws go only to them, not to every dashboard.
FLOOR_GROUP = "supervisors.floor"
SEQ_KEY = "queue:seq"  # under the console's prefix: handoff.redis.key


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def case_group(handoff_id: str) -> str:
    return f"case.{handoff_id}"


def next_seq(count: int = 1) -> int:
    """Take `count` sequence numbers; returns the last of them."""
    return runtime.sequence(SEQ_KEY).take(count)


def current_seq() -> int:
    return runtime.sequence(SEQ_KEY).take(0)


def send(group: str, message: dict[str, Any]) -> None:
    send_many([(group, message)])


def send_many(messages: list[tuple[str, dict[str, Any]]]) -> None:
    """Send to several groups in one trip to the event loop (each trip costs milliseconds)."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def _send_all() -> None:
        for group, message in messages:
            await layer.group_send(group, message)

    try:
        sender.run(_send_all)
    except Exception as exc:
        # Redis down delays the dashboards (they resync on reconnect); it never fails the request.
        logger.warning("channel layer send failed (%s)", type(exc).__name__)
