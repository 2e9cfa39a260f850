"""Sends from synchronous code reuse one event loop (and its Redis connections)."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from handoff.realtime import broadcast, sender


def test_sync_sends_share_one_loop_and_arrive_in_order() -> None:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("sender-test", channel)
    try:
        broadcast.send("sender-test", {"type": "x.one", "n": 1})
        loop = sender._state["loop"]
        broadcast.send("sender-test", {"type": "x.two", "n": 2})
        assert sender._state["loop"] is loop and loop.is_running()

        async def both() -> list[int]:
            return [(await layer.receive(channel))["n"] for _ in range(2)]

        # One loop for the receiving side too: channels_redis buffers per loop.
        assert async_to_sync(both)() == [1, 2]
    finally:
        async_to_sync(layer.group_discard)("sender-test", channel)
