"""Two consoles sharing one Redis (each with its own CHANNEL_PREFIX) number their queue updates
apart: one console's traffic never makes the other's dashboards see a gap and resync."""

import pytest
from django.conf import settings
from django.test import override_settings

from handoff.realtime.broadcast import current_seq, next_seq

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="the sequence lives in Redis")


def test_each_channel_prefix_keeps_its_own_queue_sequence() -> None:
    with override_settings(CHANNEL_PREFIX="console-a"):
        first_a = next_seq()
    with override_settings(CHANNEL_PREFIX="console-b"):
        first_b = next_seq()
        last_b = next_seq(5)
        assert last_b == first_b + 5
    with override_settings(CHANNEL_PREFIX="console-a"):
        # Console B took six numbers meanwhile; console A's next update still follows its last.
        assert current_seq() == first_a
        assert next_seq() == first_a + 1
    with override_settings(CHANNEL_PREFIX="console-b"):
        assert current_seq() == last_b
