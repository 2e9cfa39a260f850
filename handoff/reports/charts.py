"""Bar charts drawn on the server as SVG geometry: the template only places rectangles and text,
so the page needs no script (the CSP allows none inline) and no library. Each chart carries the
numbers it draws, which the template also gives as a table for screen readers."""

from collections.abc import Sequence
from dataclasses import dataclass

from handoff.models import Outcome
from handoff.reports.selectors import Quality, Report

LABEL_WIDTH = 200
BAR_SPACE = 330
VALUE_SPACE = 90
WIDTH = LABEL_WIDTH + BAR_SPACE + VALUE_SPACE
BAR_HEIGHT = 16
BAR_GAP = 4
GROUP_GAP = 14
TOP = 8


@dataclass(frozen=True)
class Bar:
    series: int  # which series (colour, legend entry)
    value: float | None
    text: str  # the value as the table and the chart show it
    x: int
    y: int
    width: int


@dataclass(frozen=True)
class Group:
    label: str
    label_y: int
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    series: list[str]
    groups: list[Group]
    height: int
    width: int = WIDTH
    label_x: int = LABEL_WIDTH - 8
    bar_x: int = LABEL_WIDTH

    @property
    def empty(self) -> bool:
        return not any(bar.value for group in self.groups for bar in group.bars)


def _text(value: float | None, unit: str) -> str:
    if value is None:
        return "none"
    number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{number}{unit}"


def bar_chart(
    *,
    id: str,
    title: str,
    series: Sequence[str],
    groups: Sequence[tuple[str, Sequence[float | None]]],
    unit: str = "",
    scale_max: float | None = None,
) -> Chart:
    """Horizontal bars, one group per label with one bar per series, on a common scale."""
    top = scale_max or max((v for _, values in groups for v in values if v is not None), default=0)
    drawn = []
    y = TOP
    for label, values in groups:
        bars = []
        start = y
        for i, value in enumerate(values):
            width = round(BAR_SPACE * (value or 0) / top) if top else 0
            bars.append(Bar(i, value, _text(value, unit), LABEL_WIDTH, y, max(width, 0)))
            y += BAR_HEIGHT + BAR_GAP
        drawn.append(Group(label, (start + y - BAR_GAP) // 2 + 4, bars))
        y += GROUP_GAP
    return Chart(id=id, title=title, series=list(series), groups=drawn, height=y)


def report_charts(report: Report) -> list[Chart]:
    rows = report.rows
    return [
        bar_chart(
            id="chart-volume",
            title="Cases received, claimed and withdrawn before claim",
            series=["Received", "Claimed", "Withdrawn before claim"],
            groups=[(r.name, [r.received, r.claimed, r.withdrawn_before_claim]) for r in rows],
        ),
        bar_chart(
            id="chart-claim",
            title="Time to claim (seconds)",
            series=["Median (p50)", "90th percentile (p90)"],
            groups=[(r.name, [r.claim_p50_s, r.claim_p90_s]) for r in rows],
            unit=" s",
        ),
        bar_chart(
            id="chart-target",
            title="Claimed within the tier's target (% of received)",
            series=["Within target"],
            groups=[(r.name, [r.within_target_pct]) for r in rows],
            unit="%",
            scale_max=100,
        ),
        bar_chart(
            id="chart-outcomes",
            title="Closed cases by outcome, all platforms",
            series=["Closed"],
            groups=[
                (label, [report.overall.outcomes.get(value, 0)])
                for value, label in _outcome_labels()
            ],
        ),
    ]


def band_chart(quality: Quality) -> Chart:
    return bar_chart(
        id=f"chart-bands-{quality.slug}",
        title=f"{quality.name}: judged high or imminent, by the platform's score",
        series=["Judged high or imminent"],
        groups=[(f"score {b.label} ({b.judged})", [b.serious_pct]) for b in quality.bands],
        unit="%",
        scale_max=100,
    )


def _outcome_labels() -> list[tuple[str, str]]:
    return [(str(o.value), str(o.label)) for o in Outcome]
