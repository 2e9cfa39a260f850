"""Sends from synchronous code reuse one event loop (and its Redis connections)."""

from handoff.realtime import broadcast, sender
from tests.support.layer import GroupListener


def test_sync_sends_share_one_loop_and_arrive_in_order() -> None:
    with GroupListener("sender-test") as listener:
        broadcast.send("sender-test", {"type": "x.one", "n": 1})
        loop = sender.loop_in_use()
        broadcast.send("sender-test", {"type": "x.two", "n": 2})
        assert loop is not None and sender.loop_in_use() is loop and loop.is_running()

        assert [listener.next()["n"], listener.next()["n"]] == [1, 2]
