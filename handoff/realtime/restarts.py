"""The sockets this process serves, and what they need when Redis restarts.

Redis keeps nothing on disk here. A restart drops every subscription, the channel layer takes
about a second to subscribe again, and whatever was published in between is lost without a trace
while the sockets stay open. So a process serving dashboards or case pages watches Redis's run_id
(new at every start of the server); when it changes, it waits until its own subscriptions are back
and then resyncs each socket: a dashboard gets a fresh snapshot, a case page the version its case
is at. The browsers' own periodic checks stay as a second line.
"""

import asyncio
import logging
import weakref
from typing import Any, Protocol

import redis.asyncio as aioredis
from django.conf import settings
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

WATCH_INTERVAL_S = 1.0
# How long to wait for the channel layer to subscribe again before sending the snapshots anyway.
RESUBSCRIBE_LIMIT_S = 10.0


class Socket(Protocol):
    channel_name: str

    async def resync(self) -> None: ...


_sockets: "weakref.WeakSet[Socket]" = weakref.WeakSet()
_watcher: "asyncio.Task[None] | None" = None


def watch(socket: Socket) -> None:
    """A socket connected on this process; the first one starts the watcher."""
    global _watcher
    _sockets.add(socket)
    if not settings.REDIS_URL:
        return  # the in-memory layer lives and dies with the process
    loop = asyncio.get_running_loop()
    if _watcher is None or _watcher.done() or _watcher.get_loop() is not loop:
        _watcher = loop.create_task(_watch(settings.REDIS_URL))


def unwatch(socket: Socket) -> None:
    """A socket left; with none left, nothing needs watching."""
    _sockets.discard(socket)
    if not _sockets and _watcher is not None and not _watcher.done():
        _watcher.cancel()


async def _watch(url: str) -> None:
    # Any: the installed stubs (types-redis 4.6) predate redis-py 5's aclose().
    client: Any = aioredis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    seen: str | None = None
    try:
        while True:
            try:
                run_id = str((await client.info("server"))["run_id"])
            except RedisError:
                # Down: a dashboard's heartbeat closes its socket (1011) and it comes back with
                # a snapshot of its own. Keep the last id to compare once Redis answers.
                run_id = None
            if run_id is not None:
                if seen is not None and run_id != seen:
                    await _resync_all(client)
                seen = run_id
            await asyncio.sleep(WATCH_INTERVAL_S)
    finally:
        await client.aclose()


async def _resync_all(client: Any) -> None:
    logger.warning("Redis restarted: resyncing %d socket(s) of this process", len(_sockets))
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
    for socket in list(_sockets):
        try:
            await socket.resync()
        except Exception as exc:  # one socket's failure must not keep the others stale
            logger.warning("resync after a Redis restart not sent (%s)", type(exc).__name__)
