"""The dashboard socket. It pushes; actions go through ordinary POSTs.

On connect (and whenever the browser reports a gap) it sends a full snapshot, so a reconnect
heals anything the channel layer dropped. What the snapshot holds is the queue's: handoff.routing
hands the queue's Dashboard to the consumer, so this transport imports nothing of the queue.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from redis.exceptions import RedisError

from counselors.accounts import account_group, session_group
from counselors.models import Door, User
from counselors.presence import presence_leave, presence_touch
from counselors.sessions import session_is_live
from handoff.access import can_view_case, is_staff_member, is_supervisor
from handoff.events import refusal_record
from handoff.models import Handoff
from handoff.monitoring import metrics
from handoff.realtime import restarts
from handoff.realtime.broadcast import (
    FLOOR_GROUP,
    QUEUE_GROUP,
    SUPERVISORS_GROUP,
    case_group,
    current_seq,
    user_group,
)

logger = logging.getLogger(__name__)

# Close codes the browser understands: 4401 means "sign in again", not "reconnect".
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
# Redis unreachable, try again later: the browser reconnects with backoff and resyncs. (Not
# 1011: the server refuses to send that code on an application's behalf, and raises.)
CLOSE_LAYER_DOWN = 4503
# Redis (the channel layer and the sequence) is unreachable: pushes are being lost. The socket
# stays open; the dashboard says its updates are delayed until a snapshot comes (the process
# sends one when Redis answers again: realtime.restarts).
UPDATES_DELAYED = json.dumps({"type": "updates.delayed"})


def message_type(text_data: str | None) -> str | None:
    """The `type` of a frame a page sent, or None for anything that is not a JSON object."""
    try:
        message = json.loads(text_data or "")
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        return None
    kind = message.get("type") if isinstance(message, dict) else None
    return kind if isinstance(kind, str) else None


@dataclass(frozen=True)
class Dashboard:
    """What the dashboard socket sends, provided by the queue (handoff.queue.notify)."""

    # Synchronous, called in the database thread: every text a fresh dashboard needs.
    snapshot_texts: Callable[[User], list[str]]
    # Synchronous: tell every dashboard who is online now.
    presence_changed: Callable[[], None]


# Presence changes in one process within this window go out as one broadcast: a shift starting,
# or a reconnect wave after a restart, must not send every dashboard one frame per arrival.
PRESENCE_COALESCE_S = 1.0
_presence_task: "asyncio.Task[None] | None" = None


async def _presence_broadcast_later(presence_changed: Callable[[], None]) -> None:
    await asyncio.sleep(PRESENCE_COALESCE_S)
    global _presence_task
    # From here on a new change schedules its own broadcast: this one may read too early.
    _presence_task = None
    await database_sync_to_async(presence_changed)()


def presence_changed_soon(presence_changed: Callable[[], None]) -> None:
    """Ask for one presence broadcast shortly; it reads who is online when it goes out."""
    global _presence_task
    loop = asyncio.get_running_loop()
    pending = _presence_task
    if pending is not None and not pending.done() and pending.get_loop() is loop:
        return
    _presence_task = loop.create_task(_presence_broadcast_later(presence_changed))


class LiveConsumer(AsyncWebsocketConsumer):
    """Channels subscribes to a socket's own channel before the consumer starts. With Redis
    unreachable that fails, and the handshake would be answered with a 500; instead the
    browser hears that updates are delayed, and reconnects later."""

    counted = False  # in handoff_websocket_connections, from accept() until the socket ends

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol, headers)
        if not self.counted:
            self.counted = True
            metrics.websocket_opened()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except RedisError:
            if hasattr(self, "channel_name"):
                raise  # started: the server closes the socket (1011)
            logger.warning("websocket refused: channel layer unreachable")
            if (await receive())["type"] == "websocket.connect":
                await send({"type": "websocket.accept"})
                await send({"type": "websocket.send", "text": UPDATES_DELAYED})
                await send({"type": "websocket.close", "code": CLOSE_LAYER_DOWN})
        finally:
            # However the socket ended: closed, dropped, or the consumer failed.
            if self.counted:
                self.counted = False
                metrics.websocket_closed()


class QueueConsumer(LiveConsumer):
    user: User
    joined: list[str]
    session_key: str | None

    def __init__(self, *, dashboard: Dashboard) -> None:
        super().__init__()
        self.dashboard = dashboard

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not is_staff_member(user):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.session_key = _session_key(self.scope)
        # Accept first: the handshake must finish within daphne's connect timeout even when a
        # shift's worth of dashboards connect at once. Nothing is missed: the snapshot is taken
        # after joining the groups. Whether the session is still good (not idle, verified) is
        # read with the snapshot, in the same trip to the database thread.
        await self.accept()
        self.joined = [QUEUE_GROUP, user_group(user.pk), *_account_groups(self.scope, user)]
        if is_supervisor(user):
            self.joined.append(SUPERVISORS_GROUP)
        restarts.watch(self)
        try:
            for group in self.joined:
                await self.channel_layer.group_add(group, self.channel_name)
            # One trip to the database thread for the snapshot and the presence record.
            texts, arrived = await database_sync_to_async(self._arrive)()
        except RedisError:
            # Nothing would reach this socket: say so, and let the browser try again later.
            await self.send(text_data=UPDATES_DELAYED)
            await self.close(code=CLOSE_LAYER_DOWN)
            return
        except AccountClosed:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        for text in texts:
            await self.send(text_data=text)
        if arrived:
            presence_changed_soon(self.dashboard.presence_changed)

    async def disconnect(self, code: int) -> None:
        restarts.unwatch(self)
        await _leave_groups(self, getattr(self, "joined", []))
        if hasattr(self, "user") and await database_sync_to_async(presence_leave)(
            channel_name=self.channel_name
        ):
            presence_changed_soon(self.dashboard.presence_changed)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        kind = message_type(text_data)
        if kind == "heartbeat":
            try:
                arrived, seq = await database_sync_to_async(self._beat)()
            except RedisError:
                # The channel layer is down too: updates are being lost, and the page must not
                # say "Live". It stays open: a snapshot follows when Redis answers again.
                await self.updates_delayed()
                return
            except AccountClosed:
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
            if arrived:
                presence_changed_soon(self.dashboard.presence_changed)
            # The browser compares this with the last update it drew: a push lost on the way
            # (pub/sub delivers at most once, and says nothing of a Redis restart) shows up
            # here within one heartbeat and is healed by a snapshot.
            await self.send(text_data=json.dumps({"type": "heartbeat.ack", "seq": seq}))
        elif kind == "resync":
            await self.resync()

    async def resync(self) -> None:
        """The whole truth again: the queue, this counselor's own cases, who is online."""
        try:
            texts = await database_sync_to_async(self._resync_texts)()
        except RedisError:
            await self.updates_delayed()
            return
        except AccountClosed:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        for text in texts:
            await self.send(text_data=text)

    async def updates_delayed(self) -> None:
        await self.send(text_data=UPDATES_DELAYED)

    async def account_closed(self, event: dict[str, Any]) -> None:
        """The account was deactivated (counselors.accounts)."""
        await self.close(code=CLOSE_UNAUTHENTICATED)

    def _beat(self) -> tuple[bool, int]:
        # The close message of a deactivation or a sign-out is lost if the channel layer was
        # down then; an idle session ends with no message at all.
        _check_signed_in(self.user.pk, self.session_key)
        return presence_touch(user=self.user, channel_name=self.channel_name), current_seq()

    def _resync_texts(self) -> list[str]:
        _check_signed_in(self.user.pk, self.session_key)
        return self._snapshot_texts()

    def _arrive(self) -> tuple[list[str], bool]:
        if not session_is_live(self.session_key, user_id=self.user.pk):
            raise AccountClosed
        texts = self._snapshot_texts()
        # An arrival always asks for a presence broadcast (one per second per process at
        # most), so whether the user was already online elsewhere need not be read.
        return texts, presence_touch(user=self.user, channel_name=self.channel_name, check=False)

    def _snapshot_texts(self) -> list[str]:
        return self.dashboard.snapshot_texts(self.user)

    # Group messages carry text serialised once by the sender; each socket only forwards it.
    async def queue_update(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])

    async def queue_mine(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])

    async def queue_presence(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])

    async def queue_alert(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])


class FloorConsumer(LiveConsumer):
    """The supervisors' floor. It forwards whole-floor redraws (rendered once by the sender),
    and sends a fresh one on connect and whenever the page asks (after a reconnect, and now
    and then, so a dropped push is healed)."""

    user: User
    session_key: str | None

    def __init__(
        self,
        *,
        snapshot_texts: Callable[[User], list[str]],
        presence_changed: Callable[[], None],
    ) -> None:
        super().__init__()
        self.snapshot_texts = snapshot_texts
        self.presence_changed = presence_changed

    async def connect(self) -> None:
        user = await _signed_in_staff(self.scope)
        if user is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not is_supervisor(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user = user
        self.session_key = _session_key(self.scope)
        self.joined = [FLOOR_GROUP, *_account_groups(self.scope, user)]
        await self.accept()
        restarts.watch(self)
        try:
            for group in self.joined:
                await self.channel_layer.group_add(group, self.channel_name)
        except RedisError:
            await self.send(text_data=UPDATES_DELAYED)
            await self.close(code=CLOSE_LAYER_DOWN)
            return
        await self.resync()

    async def disconnect(self, code: int) -> None:
        restarts.unwatch(self)
        await _leave_groups(self, getattr(self, "joined", []))
        await _presence_leave(self, self.presence_changed)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if message_type(text_data) == "resync":
            await self.resync()

    async def resync(self) -> None:
        """The whole floor; the page asks now and then, which is also its heartbeat."""
        try:
            texts, arrived = await database_sync_to_async(self._texts)()
        except AccountClosed:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        for text in texts:
            await self.send(text_data=text)
        if arrived:
            presence_changed_soon(self.presence_changed)

    def _texts(self) -> tuple[list[str], bool]:
        _check_signed_in(self.user.pk, self.session_key)
        # Recorded before the floor is drawn: a change after this is sent to this floor
        # (handoff.queue.notify sends floors only while one is watched), one before it is drawn.
        arrived = presence_touch(user=self.user, channel_name=self.channel_name, door=Door.FLOOR)
        return self.snapshot_texts(self.user), arrived

    async def updates_delayed(self) -> None:
        await self.send(text_data=UPDATES_DELAYED)

    async def floor_update(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])

    async def account_closed(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_UNAUTHENTICATED)


class CaseConsumer(LiveConsumer):
    """Tells an open case page that its case changed; the page fetches the new state itself
    (a case is open on one or two screens, so rendering per socket is fine here)."""

    group: str
    accounts: list[str]
    session_key: str | None

    def __init__(self, *, presence_changed: Callable[[], None]) -> None:
        super().__init__()
        self.presence_changed = presence_changed

    async def connect(self) -> None:
        user = await _signed_in_staff(self.scope)
        handoff_id = str(self.scope["url_route"]["kwargs"]["handoff_id"])
        if user is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not await database_sync_to_async(_may_view)(user, handoff_id):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = case_group(handoff_id)
        self.accounts = _account_groups(self.scope, user)
        self.user = user
        self.user_id = user.pk
        self.session_key = _session_key(self.scope)
        try:
            await self.channel_layer.group_add(self.group, self.channel_name)
            for group in self.accounts:
                await self.channel_layer.group_add(group, self.channel_name)
        except RedisError:
            await self.close(code=CLOSE_LAYER_DOWN)  # refused for now; the page tries again
            return
        await self.accept()
        restarts.watch(self)
        await self._beat()

    async def disconnect(self, code: int) -> None:
        restarts.unwatch(self)
        if hasattr(self, "group"):
            await _leave_groups(self, [self.group, *self.accounts])
            await _presence_leave(self, self.presence_changed)

    async def _beat(self) -> None:
        """A counselor on a case page, with no dashboard open, is still signed in."""
        arrived = await database_sync_to_async(presence_touch)(
            user=self.user, channel_name=self.channel_name, door=Door.CASE
        )
        if arrived:
            presence_changed_soon(self.presence_changed)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """The page asks now and then which version the case is at: a push lost on the way
        (pub/sub delivers at most once) is noticed within one check."""
        if message_type(text_data) == "check":
            await self.resync()
            await self._beat()

    async def resync(self) -> None:
        """Which version the case is at: the page fetches its changing part if it drew another."""
        try:
            version = await database_sync_to_async(_version_of)(
                self.group.removeprefix("case."), self.user_id, self.session_key
            )
        except AccountClosed:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self.send(text_data=json.dumps({"type": "case.version", "version": version}))

    async def updates_delayed(self) -> None:
        """The case page has no connection badge; its periodic check and the resync after
        Redis answers again bring it up to date."""

    async def case_changed(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps({"type": "case.changed", "version": event["version"]}))

    async def account_closed(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_UNAUTHENTICATED)


async def _leave_groups(consumer: AsyncWebsocketConsumer, groups: list[str]) -> None:
    # With Redis gone the subscriptions are gone with it; the socket's own cleanup goes on.
    with contextlib.suppress(RedisError):
        for group in groups:
            await consumer.channel_layer.group_discard(group, consumer.channel_name)


async def _presence_leave(consumer: AsyncWebsocketConsumer, changed: Callable[[], None]) -> None:
    """The socket's presence row goes; the lists redraw if that was the person's last page."""
    if await database_sync_to_async(presence_leave)(channel_name=consumer.channel_name):
        presence_changed_soon(changed)


class AccountClosed(Exception):
    """The socket's account was deactivated, or its session ended, since it connected."""


def _session_key(scope: Any) -> str | None:
    session = scope.get("session")
    key = getattr(session, "session_key", None)
    return key if isinstance(key, str) else None


async def _signed_in_staff(scope: Any) -> User | None:
    """The staff member this socket's session signs in, or None (signed out, idle, unverified)."""
    user = scope.get("user")
    if user is None or not is_staff_member(user):
        return None
    live = await database_sync_to_async(session_is_live)(_session_key(scope), user_id=user.pk)
    return user if live else None


def _account_groups(scope: Any, user: User) -> list[str]:
    """The groups told to close when the account is shut out or this session ends."""
    groups = [account_group(user.pk)]
    key = _session_key(scope)
    if key:
        groups.append(session_group(key))
    return groups


def _check_signed_in(user_id: int, session_key: str | None) -> None:
    if not User.objects.filter(pk=user_id, is_active=True).exists():
        raise AccountClosed
    if not session_is_live(session_key, user_id=user_id):
        raise AccountClosed


def _version_of(handoff_id: str, user_id: int, session_key: str | None) -> int | None:
    _check_signed_in(user_id, session_key)
    return Handoff.objects.filter(pk=handoff_id).values_list("version", flat=True).first()


def _may_view(user: User, handoff_id: str) -> bool:
    handoff = Handoff.objects.filter(pk=handoff_id).first()
    if handoff is None:
        return False
    if not can_view_case(user, handoff):
        refusal_record(handoff=handoff, actor=user, door="ws-case")
        return False
    return True
