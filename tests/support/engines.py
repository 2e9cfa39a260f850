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
