"""The dashboards this process serves, and what they need when Redis restarts.

Redis keeps nothing on disk here. A restart drops every subscription, the channel layer takes
about a second to subscribe again, and whatever was published in between is lost without a trace
while the sockets stay open. So a process serving dashboards watches Redis's run_id (new at every
start of the server); when it changes, it waits until its own subscriptions are back and then sends
each of its dashboards a fresh snapshot. The browser's heartbeat check stays as a second line.
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


class Dashboard(Protocol):
    channel_name: str

    async def resync(self) -> None: ...


_dashboards: "weakref.WeakSet[Dashboard]" = weakref.WeakSet()
_watcher: "asyncio.Task[None] | None" = None


def watch(dashboard: Dashboard) -> None:
    """A dashboard connected on this process; the first one starts the watcher."""
    global _watcher
    _dashboards.add(dashboard)
    if not settings.REDIS_URL:
        return  # the in-memory layer lives and dies with the process
    loop = asyncio.get_running_loop()
    if _watcher is None or _watcher.done() or _watcher.get_loop() is not loop:
        _watcher = loop.create_task(_watch(settings.REDIS_URL))


def unwatch(dashboard: Dashboard) -> None:
    """A dashboard left; with none left, nothing needs watching."""
    _dashboards.discard(dashboard)
    if not _dashboards and _watcher is not None and not _watcher.done():
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
                # Down: the dashboards' heartbeats close their sockets (1011) and they come back
                # with snapshots of their own. Keep the last id to compare once it answers.
                run_id = None
            if run_id is not None:
                if seen is not None and run_id != seen:
                    await _resync_all(client)
                seen = run_id
            await asyncio.sleep(WATCH_INTERVAL_S)
    finally:
        await client.aclose()


async def _resync_all(client: Any) -> None:
    logger.warning("Redis restarted: %d dashboard(s) here get a fresh snapshot", len(_dashboards))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RESUBSCRIBE_LIMIT_S
    # The layer subscribes everything of this process again in one command on one connection:
    # once one dashboard's own channel has its subscriber back, all have. A snapshot taken
    # after that misses nothing; anything newer arrives as a push.
    while loop.time() < deadline:
        sample = next(iter(_dashboards), None)
        if sample is None:
            return
        try:
            counts = await client.pubsub_numsub(sample.channel_name)
            if counts and int(counts[0][1]) > 0:
                break
        except RedisError:
            pass
        await asyncio.sleep(0.05)
    for dashboard in list(_dashboards):
        try:
            await dashboard.resync()
        except Exception as exc:  # one socket's failure must not keep the others stale
            logger.warning("snapshot after a Redis restart not sent (%s)", type(exc).__name__)
