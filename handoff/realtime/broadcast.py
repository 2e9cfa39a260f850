"""Tell dashboards that something changed, after the change is committed.

A push is a hint: the channel layer may drop it (at-most-once), so every dashboard can resync
from PostgreSQL. Each queue update carries a global sequence number (a gap makes the browser ask
for a fresh snapshot) and the case's own version (an older update never overwrites a newer one).
Fragments are rendered and serialised once per event here, never once per socket.
"""

import functools
import itertools
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from handoff.models import Handoff
from handoff.realtime import sender

logger = logging.getLogger(__name__)

QUEUE_GROUP = "queue"
SUPERVISORS_GROUP = "supervisors"
SEQ_KEY = "queue:seq"  # under the console's prefix: handoff.redis.key
_local_seq = itertools.count(1)
_local_last = 0


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def case_group(handoff_id: str) -> str:
    return f"case.{handoff_id}"


# Redis keeps nothing on disk: a restart loses the sequence. It then starts again from the
# clock in microseconds, so it only ever grows (more than a million events a second would be
# needed to catch up with it). An update numbered below what a browser drew is dropped there as
# old; after a restart the next one is a jump instead, which makes the browser resync.
_SEQ_SCRIPT = """
if redis.call('exists', KEYS[1]) == 0 then redis.call('set', KEYS[1], ARGV[1]) end
return redis.call('incrby', KEYS[1], ARGV[2])
"""


def _redis_seq(count: int) -> int:
    from handoff.redis import key, redis_client

    script = _seq_script(redis_client())
    return int(script(keys=[key(SEQ_KEY)], args=[time.time_ns() // 1000, count]))


@functools.cache
def _seq_script(client: Any) -> Any:
    return client.register_script(_SEQ_SCRIPT)


def next_seq(count: int = 1) -> int:
    """Take `count` sequence numbers; returns the last of them."""
    global _local_last
    if settings.REDIS_URL:
        return _redis_seq(count)
    for _ in range(count):
        _local_last = next(_local_seq)
    return _local_last


def current_seq() -> int:
    if settings.REDIS_URL:
        return _redis_seq(0)
    return _local_last


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


@dataclass(frozen=True)
class CaseChange:
    """One case whose dashboards need telling. `shown=None` marks a change whose tier and
    status did not move: queue dashboards hear of it only if the case is among the drawn rows
    (decided after commit, once for a whole batch); its open case page always does."""

    handoff_id: str
    owners: tuple[int, ...] = ()
    event: str = ""
    breach: bool = False
    notice: str = ""
    shown: bool | None = True  # None: shown only if among the drawn rows
    # The case exactly as committed, when the caller has it (a new case): not read back.
    written: Handoff | None = field(default=None, compare=False, repr=False)


def case_changed_on_commit(
    *,
    handoff: Handoff,
    owners: list[int],
    event: str = "",
    breach: bool = False,
    notice: str = "",
    as_written: bool = False,
) -> None:
    """After commit, update every queue dashboard, the owners' own lists and the case page.
    `as_written`: `handoff` holds every shown field as committed (it was just inserted), so it
    is drawn as it is. If the case changes again before this goes out, that change's update
    has the higher version, and the browser keeps the higher version."""
    change = CaseChange(
        str(handoff.id),
        tuple(owners),
        event,
        breach,
        notice,
        written=handoff if as_written else None,
    )
    transaction.on_commit(lambda: broadcast_cases([change]))


def cases_changed_on_commit(changes: list[CaseChange]) -> None:
    """The same for many cases at once (a batch of summaries): one read, one count, one send."""
    if changes:
        transaction.on_commit(lambda: broadcast_cases(changes))


def broadcast_cases(changes: list[CaseChange]) -> None:
    from handoff.queue import render, selectors

    try:
        found = {c.handoff_id: c.written for c in changes if c.written is not None}
        to_read = [c.handoff_id for c in changes if c.written is None]
        if to_read:
            found.update(
                (str(h.id), h)
                for h in Handoff.objects.select_related("platform")
                .only(*selectors.ROW_COLUMNS)
                .filter(pk__in=to_read)
            )
        drawn: set[str] = set()
        if any(c.shown is None for c in changes):
            drawn = {str(pk) for pk in selectors.queued_ids()}
        changes = [c for c in changes if c.handoff_id in found]
        on_queue = [c for c in changes if c.shown or c.handoff_id in drawn]
        counts = render.counts_context() if on_queue else {}
        first = next_seq(len(on_queue)) - len(on_queue) + 1 if on_queue else 0
        payloads = [
            render.queue_update(handoff=found[c.handoff_id], seq=first + i, counts=counts)
            for i, c in enumerate(on_queue)
        ]
    except Exception as exc:
        # The change is committed; dashboards heal on their next snapshot.
        logger.warning(
            "queue update for %d case(s) not sent (%s)", len(changes), type(exc).__name__
        )
        return
    messages: list[tuple[str, dict[str, Any]]] = [
        (
            QUEUE_GROUP,
            {
                "type": "queue.update",
                "event": c.event,
                "handoff_id": c.handoff_id,
                "version": found[c.handoff_id].version,
                "text": json.dumps(payload),
            },
        )
        for c, payload in zip(on_queue, payloads, strict=True)
    ]
    for c in changes:
        handoff = found[c.handoff_id]
        messages.append(
            (case_group(c.handoff_id), {"type": "case.changed", "version": handoff.version})
        )
        messages += [_mine_message(user_id=user_id, notice=c.notice) for user_id in c.owners]
        if c.breach:
            alert = json.dumps(render.breach_alert(handoff=handoff))
            messages.append((SUPERVISORS_GROUP, {"type": "queue.alert", "text": alert}))
    send_many([m for m in messages if m[0]])


def _mine_message(*, user_id: int, notice: str = "") -> tuple[str, dict[str, Any]]:
    """A counselor's own list, rendered once for all their open dashboards."""
    from counselors.models import User
    from handoff.queue import render

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return ("", {})
    text = json.dumps(render.mine(user=user, notice=notice))
    return (user_group(user_id), {"type": "queue.mine", "text": text})


# The list of who is online, rendered at most once a second per process: with 500 counselors
# online it costs about 16 ms, and a reconnect wave would render it once per socket. A socket
# may get a list up to a second old; the coalesced broadcast after a change brings it current.
PRESENCE_MAX_AGE_S = 1.0
_presence_lock = threading.Lock()
_presence_cache: dict[str, Any] = {"at": float("-inf"), "text": ""}


def presence_text(*, fresh: bool = False) -> str:
    from handoff.queue import render

    now = time.monotonic()
    with _presence_lock:
        if not fresh and now - _presence_cache["at"] < PRESENCE_MAX_AGE_S:
            return str(_presence_cache["text"])
    text = json.dumps(render.presence())
    with _presence_lock:
        _presence_cache.update(at=now, text=text)
    return text


def presence_changed() -> None:
    send(QUEUE_GROUP, {"type": "queue.presence", "text": presence_text(fresh=True)})
