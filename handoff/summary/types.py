"""Typed output of the machine summary.

Every model is frozen so a summary cannot be edited after it is made: what the counselor sees is
exactly what the engine produced, and ``model_dump(mode="json")`` gives the stored JSON form.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

# Lowest first. The engine cannot import Django, so it spells the tiers itself; they are
# handoff.models.Tier's values in its order (tests/handoff/test_tiers.py keeps the two equal).
Tier = Literal["low", "moderate", "high", "imminent"]
TIERS: tuple[Tier, ...] = get_args(Tier)
TIER_ORDER: dict[str, int] = {tier: i for i, tier in enumerate(TIERS)}


def tier_of(value: object) -> Tier | None:
    """A stored or sent tier as the engine's type; None when blank or not a tier."""
    return next((tier for tier in TIERS if tier == value), None)


Domain = Literal["desire", "capability", "intent", "buffers"]
MeansKind = Literal[
    "firearm", "medication", "heights", "vehicle", "cutting", "hanging", "poison", "other"
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TranscriptLine(_Frozen):
    role: Literal["user", "assistant"]
    text: str


class Evidence(_Frozen):
    """A verbatim span of one user message: ``text == transcript[message].text[start:end]``."""

    message: int
    start: int
    end: int
    text: str


class Indicator(_Frozen):
    domain: Domain
    code: str
    label: str
    evidence: list[Evidence]


class Means(_Frozen):
    kind: MeansKind
    # True: the person says they have it; False: they say they do not; None: not said.
    access: bool | None
    evidence: list[Evidence]


class Finding(_Frozen):
    label: str
    evidence: list[Evidence]


class Summary(_Frozen):
    engine: str
    engine_version: str
    language: str
    language_name: str
    assessable: bool
    headline: str = Field(max_length=160)
    suggested_tier: Tier
    tier_reasons: list[str]
    indicators: list[Indicator]
    means: list[Means]
    timeframe: list[Finding]
    attempt_in_progress: list[Finding]
    places: list[Finding]
    substances: list[Finding]
    risk_to_others: list[Finding]
    minor_signs: list[Finding]
    # Someone else the person is worried about ("my friend wants to die"): not the person's own
    # risk, but a counselor needs to see it.
    third_party: list[Finding] = Field(default_factory=list)
    key_quotes: list[Evidence] = Field(max_length=5)
    cad_line: str = Field(max_length=200)
    evidence: list[Evidence]
