"""Deployed or embedded: the choice, made once from settings, and what follows from it.

Deployed (REDIS_URL set, tasks not run eagerly): Celery workers run tasks and beat the periodic
ones; Redis holds the rate limits, the queue's sequence and the summary sweep's wake-up flag, so
every process shares them. Embedded (`make demo`: no Redis): one process does everything. Tasks
run in it (those that may hang on a background thread, never in a request), a thread runs the
periodic ones on beat's schedule, and the sequence is a counter in memory.

Everything else asks this module instead of reading REDIS_URL or CELERY_TASK_ALWAYS_EAGER.
The answer is kept for the life of the process; a test that overrides either setting gets a
fresh one (Django's setting_changed signal).
"""

import functools
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from celery import current_app
from django.conf import settings
from django.core.signals import setting_changed
from django.db import close_old_connections, connections
from django.dispatch import receiver
from redis import Redis

from handoff.redis import key as redis_key
from handoff.redis import redis_client

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    redis_url: str  # "" when embedded: no Redis anywhere
    worker: bool  # a Celery worker runs tasks; otherwise this process does


@functools.cache
def current() -> Runtime:
    url = settings.REDIS_URL
    return Runtime(redis_url=url, worker=bool(url) and not settings.CELERY_TASK_ALWAYS_EAGER)


@receiver(setting_changed)
def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in {"REDIS_URL", "CELERY_TASK_ALWAYS_EAGER"}:
        current.cache_clear()
        _sequence.cache_clear()


def redis() -> "Redis[bytes] | None":
    """The process's Redis client, or None when embedded."""
    return redis_client() if current().redis_url else None


class Task(Protocol):
    """What enqueue needs of a Celery task."""

    def delay(self, *args: Any) -> Any: ...

    def apply_async(self, *, args: tuple[Any, ...], countdown: float) -> Any: ...

    def apply(self, *, args: tuple[Any, ...]) -> Any: ...


def enqueue(task: Task, *args: Any, countdown: float = 0.0, may_hang: bool = False) -> None:
    """Have `task(*args)` run: by a worker, in `countdown` seconds; without one, in this process,
    right now, or with `may_hang` (a platform that does not answer) on a background thread after
    `countdown`, so no request waits on it. Raises what the broker raises."""
    if current().worker:
        if countdown > 0:
            task.apply_async(args=args, countdown=countdown)
        else:
            task.delay(*args)
    elif may_hang:
        _in_background(task, args, countdown)
    else:
        task.apply(args=args)


# --- Background threads, for tasks that may hang when there is no worker --------------------

_background: set[threading.Timer] = set()
_background_lock = threading.Lock()


def _in_background(task: Task, args: tuple[Any, ...], countdown: float) -> None:
    timer = threading.Timer(countdown, _background_run, args=(task, args))
    timer.daemon = True  # a hung platform never keeps the process from exiting
    with _background_lock:
        _background.add(timer)
    timer.start()


def _background_run(task: Task, args: tuple[Any, ...]) -> None:
    try:
        task.apply(args=args)
    except Exception:
        logger.exception("background task %s failed", task)
    finally:
        # This thread's own database connections; the request's are untouched.
        connections.close_all()
        with _background_lock:
            _background.discard(threading.current_thread())  # type: ignore[arg-type]


def background_stop(timeout: float = 30.0) -> None:
    """Cancel waiting background tasks and wait for those running (tests, shutdown). What a
    cancelled task would have done stays due in the database for its sweeper."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _background_lock:
            timers = list(_background)
        if not timers:
            return
        for timer in timers:
            timer.cancel()
        for timer in timers:
            # A task running may schedule another before it ends: loop to cancel that too.
            timer.join(max(deadline - time.monotonic(), 0))
            if not timer.is_alive():
                with _background_lock:
                    _background.discard(timer)


# --- Periodic tasks without beat ------------------------------------------------------------


def start() -> threading.Thread | None:
    """At the start of a serving process: without a worker (and so without beat), a thread runs
    the periodic tasks (aging, presence, reconcilers, sweeps) on beat's schedule."""
    if current().worker:
        return None
    app = current_app  # the project's (config.celery), made current when settings load
    app.loader.import_default_modules()
    schedule = [
        (entry["task"], float(entry["schedule"]))
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
    ]
    due = {name: 0.0 for name, _ in schedule}

    def run() -> None:
        while True:
            now = time.monotonic()
            for name, every in schedule:
                if now < due[name]:
                    continue
                due[name] = now + every
                try:
                    app.tasks[name]()
                except Exception as exc:
                    logger.warning("periodic task %s failed (%s)", name, type(exc).__name__)
                finally:
                    close_old_connections()
            time.sleep(1.0)

    thread = threading.Thread(target=run, name="embedded-beat", daemon=True)
    thread.start()
    return thread


# --- The queue's sequence -------------------------------------------------------------------


class Sequence(Protocol):
    def take(self, count: int) -> int:
        """Take `count` numbers (0 to read); returns the last number taken."""


class _LocalSequence:
    """One process: a counter in memory."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self._last = 0
        self._lock = threading.Lock()

    def take(self, count: int) -> int:
        with self._lock:
            for _ in range(count):
                self._last = next(self._numbers)
            return self._last


# Redis keeps nothing on disk: a restart loses the sequence. It then starts again from the
# clock in microseconds, so it only ever grows (more than a million events a second would be
# needed to catch up with it). An update numbered below what a browser drew is dropped there as
# old; after a restart the next one is a jump instead, which makes the browser resync.
_SEQ_SCRIPT = """
if redis.call('exists', KEYS[1]) == 0 then redis.call('set', KEYS[1], ARGV[1]) end
return redis.call('incrby', KEYS[1], ARGV[2])
"""


class _RedisSequence:
    """Every process of the console: one key in Redis."""

    def __init__(self, client: "Redis[bytes]", key: str) -> None:
        self._client = client
        self._key = key
        self._script: Callable[..., Any] = client.register_script(_SEQ_SCRIPT)

    def take(self, count: int) -> int:
        now_us = time.time_ns() // 1000
        return int(self._script(keys=[redis_key(self._key)], args=[now_us, count]))


# The embedded counters live as long as the process, whatever tests do to the settings: a
# number already drawn by a browser is never handed out again.
_local_sequences: dict[str, _LocalSequence] = {}


@functools.cache
def _sequence(name: str) -> Sequence:
    client = redis()
    if client is None:
        return _local_sequences.setdefault(name, _LocalSequence())
    return _RedisSequence(client, name)


def sequence(name: str) -> Sequence:
    """The sequence called `name` (a key under the console's prefix when in Redis)."""
    return _sequence(name)
