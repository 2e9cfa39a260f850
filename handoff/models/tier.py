"""How urgent a case is. The one definition of the tiers' order: the queue's order, aging,
the summary's "never lower" rule and the database's tier_rank all read it from here."""

from django.db import models


class Tier(models.TextChoices):
    """Lowest first: the members' order is the order of urgency.

    The summary engine cannot import Django and keeps its own Literal of the same values
    (handoff.summary.types); tests/handoff/test_tiers.py keeps the two, and the queue's
    JavaScript, in step with this class.
    """

    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"
    IMMINENT = "imminent", "Imminent"

    @property
    def rank(self) -> int:
        """1 (low) to 4 (imminent), as the database keeps it in Handoff.tier_rank."""
        return list(Tier).index(self) + 1

    def one_up(self) -> "Tier":
        """The next tier up; the top tier stays where it is."""
        tiers = list(Tier)
        return tiers[min(tiers.index(self) + 1, len(tiers) - 1)]

    @classmethod
    def max(cls, *tiers: str | None) -> "Tier":
        """The most urgent of the tiers given; blanks are skipped."""
        return max((cls(t) for t in tiers if t), key=lambda t: t.rank)
