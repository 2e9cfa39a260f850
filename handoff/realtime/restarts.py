"""The sockets this process serves, and what they need when Redis goes away or restarts.

Redis keeps nothing on disk here. A restart drops every subscription, the channel layer takes
about a second to subscribe again, and whatever was published in between is lost without a trace
while the sockets stay open. So a process serving dashboards or case pages watches Redis's run_id
(new at every start of the server). While Redis does not answer, each socket is told its updates
are delayed (a dashboard stops saying "Live"). When Redis answers again after that, or with a new
run_id, the process waits until its own subscriptions are back and then resyncs each socket: a
dashboard gets a fresh snapshot (and says "Live" again), a case page the version its case is at.
The browsers' own periodic checks stay as a second line.
"""

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from handoff import runtime

logger = logging.getLogger(__name__)

WATCH_INTERVAL_S = 1.0
# How long to wait for the channel layer to subscribe again before sending the snapshots anyway.
RESUBSCRIBE_LIMIT_S = 10.0


class Socket(Protocol):
    channel_name: str

    async def resync(self) -> None: ...

    async def updates_delayed(self) -> None: ...


_sockets: "weakref.WeakSet[Socket]" = weakref.WeakSet()
_watcher: "asyncio.Task[None] | None" = None


def watch(socket: Socket) -> None:
    """A socket connected on this process; the first one starts the watcher."""
    global _watcher
    _sockets.add(socket)
    url = runtime.current().redis_url
    if not url:
        return  # the in-memory layer lives and dies with the process
    loop = asyncio.get_running_loop()
    if _watcher is None or _watcher.done() or _watcher.get_loop() is not loop:
        _watcher = loop.create_task(_watch(url))


def unwatch(socket: Socket) -> None:
    """A socket left; with none left, nothing needs watching."""
    _sockets.discard(socket)
    if not _sockets and _watcher is not None and not _watcher.done():
        _watcher.cancel()


async def _watch(url: str) -> None:
    # Any: the installed stubs (types-redis 4.6) predate redis-py 5's aclose().
    client: Any = aioredis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    seen: str | None = None
    down = False
    try:
        while True:
            try:
                run_id = str((await client.info("server"))["run_id"])
            except RedisError:
                # Down: pushes are lost until it is back. Keep the last id to compare then.
                run_id = None
            if run_id is None:
                if not down:
                    down = True
                    await _tell_all("updates delayed", lambda socket: socket.updates_delayed())
            else:
                # Back after an outage (what was published meanwhile is gone), or restarted.
                if down or (seen is not None and run_id != seen):
                    await _resync_all(client)
                down = False
                seen = run_id
            await asyncio.sleep(WATCH_INTERVAL_S)
    finally:
        await client.aclose()


async def _resync_all(client: Any) -> None:
    logger.warning("Redis back or restarted: resyncing %d socket(s) of this process", len(_sockets))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RESUBSCRIBE_LIMIT_S
    # The layer subscribes everything of this process again in one command on one connection:
    # once one socket's own channel has its subscriber back, all have. A resync after that
    # misses nothing; anything newer arrives as a push.
    while loop.time() < deadline:
        sample = next(iter(_sockets), None)
        if sample is None:
            return
        try:
            counts = await client.pubsub_numsub(sample.channel_name)
            if counts and int(counts[0][1]) > 0:
                break
        except RedisError:
            pass
        await asyncio.sleep(0.05)
    await _tell_all("resync after a Redis outage", lambda socket: socket.resync())


async def _tell_all(what: str, call: Callable[[Socket], Awaitable[None]]) -> None:
    for socket in list(_sockets):
        try:
            await call(socket)
        except Exception as exc:  # one socket's failure must not keep the others stale
            logger.warning("%s not sent (%s)", what, type(exc).__name__)
