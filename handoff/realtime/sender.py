"""Channel-layer sends from synchronous code (request threads, Celery workers).

`async_to_sync` outside an event loop starts a fresh loop for every call, and channels_redis keeps
its Redis connections per loop, so each broadcast paid for a new loop and a new connection. With
Redis, sends go instead through one long-lived loop in a background thread, whose connections
stay open. The in-memory layer (the embedded default) is bound to the server's own loop, so there
`async_to_sync` stays.
"""

import asyncio
import os
import threading
from collections.abc import Coroutine
from typing import Any

from asgiref.sync import async_to_sync

from handoff import runtime

SEND_TIMEOUT_S = 5.0

_lock = threading.Lock()
_state: dict[str, Any] = {"loop": None, "pid": None}


def _loop() -> asyncio.AbstractEventLoop:
    with _lock:
        loop = _state["loop"]
        # A forked worker child inherits the parent's loop object but not its thread.
        if loop is None or loop.is_closed() or _state["pid"] != os.getpid():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="channel-layer-sender", daemon=True
            )
            thread.start()
            _state.update(loop=loop, pid=os.getpid())
        return loop  # type: ignore[no-any-return]


def loop_in_use() -> asyncio.AbstractEventLoop | None:
    """The background loop sends go through, once one has started (None before)."""
    loop: asyncio.AbstractEventLoop | None = _state["loop"]
    return loop


def run(make: "Any") -> None:
    """Run the coroutine made by `make()` to completion, from synchronous code."""
    if not runtime.current().redis_url:
        async_to_sync(make)()
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:  # called from async code after all: keep to its loop
        raise RuntimeError("sender.run() is for synchronous code")
    coroutine: Coroutine[Any, Any, None] = make()
    future = asyncio.run_coroutine_threadsafe(coroutine, _loop())
    try:
        future.result(timeout=SEND_TIMEOUT_S)
    except TimeoutError:
        future.cancel()
        raise
