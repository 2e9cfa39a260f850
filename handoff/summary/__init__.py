"""Machine summary of a crisis conversation: deterministic, offline, every word checkable."""

from handoff.summary.engine import RuleEngine, SummaryEngine, summarize
from handoff.summary.types import (
    Domain,
    Evidence,
    Finding,
    Indicator,
    Means,
    Summary,
    Tier,
    TranscriptLine,
)

__all__ = [
    "Domain",
    "Evidence",
    "Finding",
    "Indicator",
    "Means",
    "RuleEngine",
    "Summary",
    "SummaryEngine",
    "Tier",
    "TranscriptLine",
    "summarize",
]
