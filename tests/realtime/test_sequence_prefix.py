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


def test_the_consoles_other_redis_keys_carry_its_prefix_too() -> None:
    """Rate limits and the summary sweep's wake-up flag are per console as well."""
    from handoff.intake import ratelimit
    from handoff.summary import tasks

    assert tasks.SWEEP_PENDING_KEY.startswith(f"{settings.CHANNEL_PREFIX}:")
    with override_settings(CHANNEL_PREFIX="console-a"):
        for _ in range(2):
            assert ratelimit.take_token(platform_slug="shared", per_minute=2).allowed
        assert not ratelimit.take_token(platform_slug="shared", per_minute=2).allowed
    with override_settings(CHANNEL_PREFIX="console-b"):
        assert ratelimit.take_token(platform_slug="shared", per_minute=2).allowed
