"""Stand-in summary engines for task tests."""

from collections.abc import Sequence

from handoff.summary.types import Summary, Tier, TranscriptLine


class FailingEngine:
    name = "failing"
    version = "0"
    calls = 0

    def summarize(
        self,
        *,
        transcript: Sequence[TranscriptLine],
        platform_level: Tier | None = None,
        platform_score: float | None = None,
    ) -> Summary:
        type(self).calls += 1
        raise RuntimeError("engine exploded")


class PickyEngine:
    """The rule engine, except that it fails on any transcript mentioning "unreadable"."""

    name = "rules"
    version = "picky"

    def summarize(
        self,
        *,
        transcript: Sequence[TranscriptLine],
        platform_level: Tier | None = None,
        platform_score: float | None = None,
    ) -> Summary:
        from handoff.summary.engine import RuleEngine

        if any("unreadable" in line.text for line in transcript):
            raise RuntimeError("engine exploded")
        return RuleEngine().summarize(
            transcript=transcript, platform_level=platform_level, platform_score=platform_score
        )
