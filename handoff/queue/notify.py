"""Telling dashboards that a case changed, and alerting staff, after the change is committed.

Every service that changes what a dashboard or a case page shows calls this module; it decides
who hears of it and renders each fragment once per event (handoff.queue.render), never once per
socket, then hands the text to the transport (handoff.realtime.broadcast). Each queue update
carries the next number of the queue's sequence (a gap makes the browser ask for a snapshot)
and the case's own version (an older update never overwrites a newer one).

The dashboard socket's snapshot is made here too (snapshot_texts): handoff.routing gives it to
the consumer, so the transport never imports the queue.
"""

import contextlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.dispatch import receiver

from counselors.models import User
from counselors.presence import floor_watched
from handoff import runtime
from handoff.callbacks.sender import relay_settled
from handoff.models import Alert, AlertKind, Callback, Handoff
from handoff.queue import floor, render, selectors
from handoff.realtime import broadcast

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaseChange:
    """One case whose dashboards need telling. `shown=None` marks a change whose tier and
    status did not move: queue dashboards hear of it only if the case is among the drawn rows
    (decided after commit, once for a whole batch); its open case page always does."""

    handoff_id: str
    owners: tuple[int, ...] = ()
    breach: bool = False
    notice: str = ""
    shown: bool | None = True  # None: shown only if among the drawn rows
    # The case exactly as committed, when the caller has it (a new case): not read back.
    written: Handoff | None = field(default=None, compare=False, repr=False)


def case_changed_on_commit(
    *,
    handoff: Handoff,
    owners: list[int],
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
        breach,
        notice,
        written=handoff if as_written else None,
    )
    transaction.on_commit(partial(publish, [change]))


def cases_changed_on_commit(changes: list[CaseChange]) -> None:
    """The same for many cases at once (a batch of summaries): one read, one count, one send."""
    if changes:
        transaction.on_commit(partial(publish, changes))


# --- The process's publisher ----------------------------------------------------------------


class Publisher:
    """Sends committed changes from a thread of the process's own, so a request answers as soon
    as its transaction commits instead of after the counts, the renders and the send; and what
    several requests committed while the last batch went out goes out as one batch (one read of
    the counts, one render of them, one trip to Redis, one floor redraw). There is no waiting to
    gather a batch: a lone change goes out at once. A change still pending when the process dies
    is lost like any dropped push, and healed the same way (the dashboards' heartbeat compares
    sequence numbers and asks for a snapshot)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[CaseChange] = []
        self._wake = threading.Condition(self._lock)
        self._busy = False
        self._pid: int | None = None

    def submit(self, changes: list[CaseChange]) -> None:
        with self._lock:
            self._pending.extend(changes)
            if self._pid != os.getpid():  # first use, or a forked child: no thread yet
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="queue-publisher", daemon=True).start()
            self._wake.notify()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything submitted so far is sent (for tests and shutdown)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(left)
        return True

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._pending:
                    self._wake.wait()
                batch, self._pending = self._pending, []
                self._busy = True
            try:
                _send_changes(batch)
            except Exception as exc:
                # Whatever one batch meets (the database gone mid-send, a render failing), the
                # thread lives on for the next.
                _not_sent(len(batch), exc)
            finally:
                # The thread's own connection goes back to the pool between batches.
                with contextlib.suppress(Exception):
                    connections.close_all()
                with self._lock:
                    self._busy = False
                    self._wake.notify_all()


_publisher = Publisher()


def in_background() -> bool:
    """Deployed processes publish from their thread; tests and the embedded default send in the
    committing thread, so what they check has been sent when on_commit returns."""
    return runtime.current().redis_url != "" and not settings.TESTING


def publish(changes: list[CaseChange]) -> None:
    if in_background():
        _publisher.submit(changes)
    else:
        _send_changes(changes)


def _send_changes(changes: list[CaseChange]) -> None:
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
        counts_html = render.counts_html(counts) if on_queue else ""
        first = broadcast.next_seq(len(on_queue)) - len(on_queue) + 1 if on_queue else 0
        payloads = [
            render.queue_update(
                handoff=found[c.handoff_id], seq=first + i, counts=counts, counts_html=counts_html
            )
            for i, c in enumerate(on_queue)
        ]
    except Exception as exc:
        _not_sent(len(changes), exc)
        return
    messages: list[tuple[str, dict[str, Any]]] = [
        (
            broadcast.QUEUE_GROUP,
            {
                "type": "queue.update",
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
            (
                broadcast.case_group(c.handoff_id),
                {"type": "case.changed", "version": handoff.version},
            )
        )
        messages += [_mine_message(user_id=user_id, notice=c.notice) for user_id in c.owners]
        if c.breach:
            messages.append(
                (broadcast.SUPERVISORS_GROUP, _alert(render.breach_alert(handoff=handoff)))
            )
    broadcast.send_many([m for m in messages if m[0]])
    floor_changed()


def _not_sent(count: int, exc: Exception) -> None:
    """The change is committed but its update could not be made (the database went away between
    the commit and the send, which the publisher's thread makes likelier). The sequence still
    moves: every dashboard's next heartbeat finds a number it never received and asks for a
    snapshot, so none stays stale until the next change. With Redis itself down there is no
    sequence to move, and the dashboards resync when their sockets come back."""
    logger.warning("queue update for %d case(s) not sent (%s)", count, type(exc).__name__)
    with contextlib.suppress(Exception):
        broadcast.next_seq(1)


def _mine_message(*, user_id: int, notice: str = "") -> tuple[str, dict[str, Any]]:
    """A counselor's own list, rendered once for all their open dashboards."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return ("", {})
    text = json.dumps(render.mine(user=user, notice=notice))
    return (broadcast.user_group(user_id), {"type": "queue.mine", "text": text})


# --- Alerts ---------------------------------------------------------------------------------


def _alert(payload: dict[str, Any]) -> dict[str, Any]:
    return {"type": "queue.alert", "text": json.dumps(payload)}


def alert_raise(
    *, handoff_id: str, kind: AlertKind, text: str, toast: bool = True, redraw: bool = True
) -> Alert:
    """The one place an alert is made: a row that stays on the floor until a supervisor
    acknowledges it, in the caller's transaction; after commit the floor redraws (with a sound
    for a help request) and supervisors' dashboards show it as a passing line too.
    `redraw=False`: the caller redraws the floor once for a whole batch of alerts."""
    alert = Alert.objects.create(handoff_id=handoff_id, kind=kind, text=text[:200])
    if toast:
        alert_supervisors_on_commit(handoff_id=handoff_id, text=text)
    if redraw:
        floor_changed_on_commit(sound=kind == AlertKind.HELP_REQUESTED)
    return alert


def alert_supervisors_on_commit(*, handoff_id: str, text: str) -> None:
    """After commit, an alert on every supervisor's dashboard."""
    message = _alert(render.alert(handoff_id=handoff_id, text=text))
    transaction.on_commit(partial(broadcast.send, broadcast.SUPERVISORS_GROUP, message))


def alert_counselor_on_commit(*, handoff_id: str, text: str, user_id: int | None) -> None:
    """After commit, an alert on one counselor's dashboards, or the whole floor's (None)."""
    group = broadcast.QUEUE_GROUP if user_id is None else broadcast.user_group(user_id)
    message = _alert(render.alert(handoff_id=handoff_id, text=text))
    transaction.on_commit(partial(broadcast.send, group, message))


# --- Presence -------------------------------------------------------------------------------

# The list of who is online, rendered at most once a second per process: with 500 counselors
# online it costs about 16 ms, and a reconnect wave would render it once per socket. A socket
# may get a list up to a second old; the coalesced broadcast after a change brings it current.
PRESENCE_MAX_AGE_S = 1.0
_presence_lock = threading.Lock()
_presence_cache: dict[str, Any] = {"at": float("-inf"), "text": ""}


def presence_text(*, fresh: bool = False) -> str:
    now = time.monotonic()
    with _presence_lock:
        if not fresh and now - _presence_cache["at"] < PRESENCE_MAX_AGE_S:
            return str(_presence_cache["text"])
    text = json.dumps(render.presence())
    with _presence_lock:
        _presence_cache.update(at=now, text=text)
    return text


def presence_changed() -> None:
    broadcast.send(
        broadcast.QUEUE_GROUP, {"type": "queue.presence", "text": presence_text(fresh=True)}
    )
    floor_changed()


# --- The supervisors' floor -----------------------------------------------------------------


def floor_text(*, sound: bool = False) -> str:
    return json.dumps(floor.floor_payload(sound=sound))


def floor_changed(*, sound: bool = False) -> None:
    """Redraw every open floor: rendered once here, forwarded by each socket; with no floor
    open, nothing is drawn (one indexed read instead of the floor's queries and template). A
    failure leaves the floors as they were until their next resync; the change itself is
    committed."""
    try:
        if not floor_watched():
            return
        text = floor_text(sound=sound)
    except Exception as exc:
        logger.warning("floor update not sent (%s)", type(exc).__name__)
        return
    broadcast.send(broadcast.FLOOR_GROUP, {"type": "floor.update", "text": text})


def floor_changed_on_commit(*, sound: bool = False) -> None:
    transaction.on_commit(partial(floor_changed, sound=sound))


def floor_snapshot_texts(user: User) -> list[str]:
    """What a floor socket gets on connect and on resync."""
    return [floor_text()]


# --- The snapshot a dashboard socket gets ---------------------------------------------------

_snapshot_lock = threading.Lock()
_snapshot_cache: dict[str, Any] = {"seq": None, "at": 0.0, "text": ""}
# A snapshot is keyed by the global sequence: nothing the queue shows changes without it moving.
# The age bound covers a Redis restart resetting the sequence.
SNAPSHOT_MAX_AGE_S = 2.0


def queue_snapshot_text() -> str:
    seq = broadcast.current_seq()
    now = time.monotonic()
    with _snapshot_lock:
        if _snapshot_cache["seq"] == seq and now - _snapshot_cache["at"] < SNAPSHOT_MAX_AGE_S:
            return str(_snapshot_cache["text"])
    text = json.dumps(render.queue_snapshot(seq=seq))
    with _snapshot_lock:
        _snapshot_cache.update(seq=seq, at=now, text=text)
    return text


def snapshot_texts(user: User) -> list[str]:
    """Everything a dashboard shows, for a socket that connects or resyncs: the queue, the
    user's own cases, who is online."""
    return [queue_snapshot_text(), json.dumps(render.mine(user=user)), presence_text()]


@receiver(relay_settled, sender=Callback, dispatch_uid="handoff.queue.notify.relay_settled")
def _relay_settled(*, handoff_ids: list[str], **kwargs: Any) -> None:
    """A relayed message was delivered or given up: its open case page redraws its status."""
    cases_changed_on_commit([CaseChange(pk, shown=None) for pk in handoff_ids])
