"""The report as CSV: the whole service (`/reports.csv`) and one platform's own figures
(`/reports/platforms/{slug}.csv`). Aggregates only: no case, no person, no counselor."""

import csv
import io
from collections.abc import Iterable, Sequence

from handoff.models import Outcome, Tier
from handoff.reports.selectors import Quality, Report, Row

COLUMNS = (
    "platform",
    "from",
    "to",
    "received",
    "claimed",
    "withdrawn_before_claim",
    "time_to_claim_p50_s",
    "time_to_claim_p90_s",
    "claimed_within_target_pct",
    "closed",
    *(o.value for o in Outcome),
)
PLATFORM_COLUMNS = (
    "platform",
    "from",
    "to",
    "figure",
    "platform_level",
    "final_tier",
    "score_band",
    "value",
)
# A spreadsheet runs a cell starting with one of these as a formula (OWASP: CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A value as a CSV cell: empty when missing, neutralised when it could run as a formula."""
    if value is None:
        return ""
    text = str(value)
    # Only text can carry a formula; a number (even a negative one) is written as it is.
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def _number(value: float | None) -> float | int | None:
    """Whole numbers without a trailing ".0"."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _write(rows: Iterable[Sequence[object]], header: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()


def _summary(row: Row, report: Report) -> list[object]:
    return [
        row.slug,
        report.period.start.isoformat(),
        report.period.end.isoformat(),
        row.received,
        row.claimed,
        row.withdrawn_before_claim,
        _number(row.claim_p50_s),
        _number(row.claim_p90_s),
        _number(row.within_target_pct),
        row.closed,
        *(row.outcomes.get(o.value, 0) for o in Outcome),
    ]


def report_csv(report: Report) -> str:
    """One row per platform with cases in the period, then `all`."""
    rows = [_summary(r, report) for r in report.rows]
    rows.append(_summary(report.overall, report))
    return _write(rows, COLUMNS)


def platform_csv(report: Report, row: Row, quality: Quality | None) -> str:
    """What a platform may be sent about its own flags: the summary figures, the level against
    the counselor's final tier, and the share judged serious by score band (long format, one
    figure a line, so it opens the same in any spreadsheet)."""
    start, end = report.period.start.isoformat(), report.period.end.isoformat()
    lines: list[list[object]] = []

    def add(figure: str, value: object, level: str = "", final: str = "", band: str = "") -> None:
        lines.append([row.slug, start, end, figure, level, final, band, value])

    for name, value in zip(COLUMNS[3:], _summary(row, report)[3:], strict=True):
        add(name, value)
    add("not_at_risk_pct", _number(row.not_at_risk_pct))
    if quality is not None:
        for level in Tier.values:
            for final in Tier.values:
                add("cases_by_level_and_final_tier", quality.matrix[level][final], level, final)
        for band in quality.bands:
            add("judged_cases_in_band", band.judged, band=band.label)
            add("judged_high_or_imminent_pct", _number(band.serious_pct), band=band.label)
    return _write(lines, PLATFORM_COLUMNS)
