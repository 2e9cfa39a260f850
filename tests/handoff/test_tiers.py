"""Tier order is defined once, on handoff.models.Tier. The copies that cannot import it (the
summary engine, the API schema's Literals, the queue's JavaScript) are held to it here."""

import re
from pathlib import Path
from typing import get_args

import pytest
from django.utils import timezone

from handoff.intake import schema
from handoff.models import Handoff, MessageRole, Tier, WithdrawReason
from handoff.summary import types as engine_types
from tests.support.factories import PlatformFactory

ROOT = Path(__file__).resolve().parents[2]


def test_members_run_from_least_to_most_urgent() -> None:
    assert [(t.value, t.rank) for t in Tier] == [
        ("low", 1),
        ("moderate", 2),
        ("high", 3),
        ("imminent", 4),
    ]


def test_one_up_moves_one_step_and_stops_at_the_top() -> None:
    assert [t.one_up() for t in Tier] == [Tier.MODERATE, Tier.HIGH, Tier.IMMINENT, Tier.IMMINENT]


def test_max_is_the_most_urgent_and_skips_blanks() -> None:
    assert Tier.max("moderate", "", None, "high", "low") is Tier.HIGH
    assert Tier.max(Tier.IMMINENT, "low") is Tier.IMMINENT
    assert Tier.max("low") is Tier.LOW


@pytest.mark.django_db
def test_the_database_rank_is_the_python_rank(platform_factory: PlatformFactory) -> None:
    platform = platform_factory().platform
    for tier in Tier:
        Handoff.objects.create(
            platform=platform,
            external_id=f"rank-{tier}",
            tier=tier,
            platform_level=tier,
            flagged_at=timezone.now(),
        )
    stored = dict(
        Handoff.objects.filter(platform=platform).values_list("tier", "tier_rank").order_by()
    )
    assert stored == {t.value: t.rank for t in Tier}


def test_the_summary_engine_spells_the_same_tiers_in_the_same_order() -> None:
    assert tuple(Tier.values) == engine_types.TIERS
    assert {t: engine_types.TIER_ORDER[t] + 1 for t in engine_types.TIERS} == {
        t.value: t.rank for t in Tier
    }
    assert [engine_types.tier_of(t) for t in Tier.values] == Tier.values
    assert engine_types.tier_of("") is None
    assert engine_types.tier_of("urgent") is None


def test_the_api_schema_literals_match_the_models() -> None:
    assert get_args(schema.RiskLevel) == tuple(Tier.values)
    assert get_args(schema.WithdrawReasonValue) == tuple(WithdrawReason.values)
    # A platform sends the person's and its assistant's messages, never a counselor's.
    assert set(get_args(schema.PlatformMessageRole)) == set(MessageRole.values) - {
        MessageRole.COUNSELOR
    }


def test_the_queue_script_alerts_on_the_top_two_tiers_and_orders_by_the_database_rank() -> None:
    script = (ROOT / "static" / "console" / "queue.js").read_text()
    found = re.search(r"var URGENT_TIERS = \[([^\]]*)\];", script)
    assert found is not None
    urgent = re.findall(r'"([a-z]+)"', found.group(1))
    assert urgent == [t.value for t in reversed(Tier)][:2]
    # Live insertion sorts by data-rank, which the row template fills from the database.
    assert 'getAttribute("data-rank")' in script
    row = (ROOT / "templates" / "queue" / "dashboard.html").read_text()
    assert 'data-rank="{{ case.tier_rank }}"' in row
