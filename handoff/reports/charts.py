"""Bar charts drawn on the server as SVG: the page needs no script (the CSP allows none inline)
and no library. Each chart carries the numbers it draws, also given as a table for screen
readers. The markup is built here, every label and number escaped, rather than by template loops:
over a month's report the loops cost more CPU than the aggregation's own Python."""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

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

    @cached_property
    def html(self) -> SafeString:
        """The whole figure: caption, legend, drawing and the same numbers as a table."""
        caption = format_html('<figcaption id="{}-title">{}</figcaption>', self.id, self.title)
        if not self.groups:
            body = mark_safe('<p class="muted">Nothing to draw for this period.</p>')
        else:
            body = format_html("{}{}{}", self._legend(), self._svg(), self._table())
        return format_html('<figure class="chart" id="{}">{}{}</figure>', self.id, caption, body)

    def _legend(self) -> SafeString:
        if len(self.series) < 2:
            return mark_safe("")
        items = format_html_join(
            "",
            '<li><span class="swatch series-{}"></span>{}</li>',
            enumerate(self.series),
        )
        return format_html('<ul class="legend" aria-hidden="true">{}</ul>', items)

    def _svg(self) -> SafeString:
        # The drawing is for the eye; the table carries the same numbers for screen readers.
        groups = format_html_join(
            "",
            '<text x="{}" y="{}" text-anchor="end" class="label">{}</text>{}',
            (
                (self.label_x, g.label_y, Truncator(g.label).chars(30), self._bars(g))
                for g in self.groups
            ),
        )
        return format_html(
            '<svg viewBox="0 0 {w} {h}" width="{w}" height="{h}" aria-hidden="true" '
            'focusable="false" class="bars">{}</svg>',
            groups,
            w=self.width,
            h=self.height,
        )

    @staticmethod
    def _bars(group: "Group") -> SafeString:
        return format_html_join(
            "",
            '<rect x="{}" y="{}" width="{}" height="{}" class="series-{}"></rect>'
            '<text x="{}" y="{}" class="value">{}</text>',
            (
                (b.x, b.y, b.width, BAR_HEIGHT, b.series, b.x + b.width + 6, b.y + 12, b.text)
                for b in group.bars
            ),
        )

    def _table(self) -> SafeString:
        head = format_html_join("", '<th scope="col">{}</th>', ((s,) for s in self.series))
        rows = format_html_join(
            "",
            '<tr><th scope="row">{}</th>{}</tr>',
            (
                (g.label, format_html_join("", "<td>{}</td>", ((b.text,) for b in g.bars)))
                for g in self.groups
            ),
        )
        return format_html(
            '<table class="visually-hidden"><caption>{}</caption><thead><tr>'
            '<th scope="col">{}</th>{}</tr></thead><tbody>{}</tbody></table>',
            self.title,
            "Group" if len(self.series) > 1 else "Item",
            head,
            rows,
        )


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
