"""Listening to channel-layer groups from synchronous tests, the way a dashboard process does.

The console's layer (Redis pub/sub) keeps subscriptions per event loop and delivers only to
subscribers listening at the moment of sending, so the listener runs its own loop in a thread for
as long as the block lasts. Entering returns once Redis has the subscriptions: a probe sent to
each group has come back.

    with GroupListener(QUEUE_GROUP) as listener:
        ...  # something that broadcasts
        message = listener.next()            # waits for it, up to a timeout
"""

import asyncio
import queue
import threading
import uuid
from types import TracebackType
from typing import Any

from channels.layers import get_channel_layer

PROBE = "test.probe"


class GroupListener:
    def __init__(self, *groups: str) -> None:
        self.groups = groups
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._layer: Any = get_channel_layer()
        self._channel = ""
        self._task: asyncio.Future[None] | None = None

    def _run(self, coroutine: Any, timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    async def _join(self) -> None:
        self._channel = await self._layer.new_channel()
        for group in self.groups:
            await self._layer.group_add(group, self._channel)
        self._task = asyncio.ensure_future(self._pump())

    async def _pump(self) -> None:
        while True:
            self.messages.put(await self._layer.receive(self._channel))

    def _until_probe_returns(self, group: str) -> None:
        """Subscribing is asynchronous in Redis: send probes until one arrives."""
        for _ in range(50):
            token = uuid.uuid4().hex
            self._run(self._layer.group_send(group, {"type": PROBE, "token": token}))
            try:
                while True:
                    message = self.messages.get(timeout=0.2)
                    if message.get("token") == token:
                        return
            except queue.Empty:
                continue
        raise AssertionError(f"never subscribed to {group}")

    def next(self, timeout: float = 10) -> dict[str, Any]:
        """The next message that is not a probe."""
        while True:
            message = self.messages.get(timeout=timeout)
            if message.get("type") != PROBE:
                return message

    def __enter__(self) -> "GroupListener":
        self._thread.start()
        self._run(self._join())
        for group in self.groups:
            self._until_probe_returns(group)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        async def leave() -> None:
            if self._task is not None:
                self._task.cancel()
            for group in self.groups:
                await self._layer.group_discard(group, self._channel)

        try:
            self._run(leave())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            self._loop.close()  # channels_redis closes this loop's connections here
