"""Per-platform token buckets, in Redis so every daphne process shares one budget."""

import logging
import math
import threading
import time
from dataclasses import dataclass

from handoff import runtime
from handoff.redis import key as redis_key

logger = logging.getLogger(__name__)

# KEYS[1] bucket; ARGV: capacity, refill per second, now (s), cost.
# Returns {allowed, retry_after_ms}.
# Redis' own clock would be better, but TIME is not allowed before writes in old scripting modes;
# the callers' clocks agree to well under a second, which is all a bucket needs.
_LUA = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local allowed = 0
local wait_ms = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  wait_ms = math.ceil((cost - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return {allowed, wait_ms}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int  # whole seconds, at least 1 when refused


class _LocalBuckets:
    """The embedded default has one process and no Redis."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float]] = {}

    def take(self, key: str, capacity: int, rate: float) -> Decision:
        now = time.monotonic()
        with self._lock:
            tokens, at = self._state.get(key, (float(capacity), now))
            tokens = min(capacity, tokens + (now - at) * rate)
            if tokens >= 1:
                self._state[key] = (tokens - 1, now)
                return Decision(True, 0)
            self._state[key] = (tokens, now)
            return Decision(False, max(1, math.ceil((1 - tokens) / rate)))


_local = _LocalBuckets()


def take_token(*, platform_slug: str, per_minute: int) -> Decision:
    """Spend one request of the platform's budget: a burst of `per_minute`, refilled evenly."""
    capacity = max(1, per_minute)
    rate = capacity / 60.0
    key = redis_key(f"ratelimit:{platform_slug}")
    client = runtime.redis()
    if client is None:
        return _local.take(key, capacity, rate)
    try:
        script = client.register_script(_LUA)
        allowed, wait_ms = script(keys=[key], args=[capacity, rate, time.time(), 1])
    except Exception as exc:
        # Refusing a person in crisis because the limiter is down would be the worse failure.
        logger.warning("rate limiter unavailable, allowing request (%s)", type(exc).__name__)
        return Decision(True, 0)
    if int(allowed):
        return Decision(True, 0)
    return Decision(False, max(1, math.ceil(int(wait_ms) / 1000)))
