"""One Redis client per process for rate limits and readiness (the channel layer has its own)."""

from functools import cache

import redis
from django.conf import settings


@cache
def redis_client() -> "redis.Redis[bytes]":
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=1,
        socket_timeout=1,
        max_connections=settings.REDIS_MAX_CONNECTIONS,
        health_check_interval=30,
        # After a Redis restart the pooled connections are dead: one more try on a new one.
        retry_on_error=[redis.exceptions.ConnectionError],
    )


def key(name: str) -> str:
    """The Redis key for `name`, in this console's namespace: consoles sharing a Redis differ
    by CHANNEL_PREFIX."""
    return f"{settings.CHANNEL_PREFIX}:{name}"
