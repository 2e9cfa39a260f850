"""The service's numbers for a period: every aggregate the report, its CSV and a platform's own
CSV show, read in a fixed number of queries whatever the number of cases.

Every figure except help requests is about the cases *received* in the period (a cohort), so a
row adds up: received = claimed + withdrawn before claim + still waiting. Help requests count
those asked in the period. Periods are whole days in the console's TIME_ZONE, both ends
included.

Percentiles are computed by PostgreSQL (percentile_cont, the same interpolation as
`percentile` below); SQLite, the embedded default, has no ordered-set aggregates, so there the
durations are read in one query and interpolated here.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import CombinedExpression
from django.utils import timezone

from handoff.models import (
    EmergencyCall,
    Handoff,
    MobileCrisisDispatch,
    Outcome,
    Platform,
    Status,
    Tier,
    TierSource,
)
from handoff.models.supervision import HelpRequest

OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)
TIERS: tuple[Tier, ...] = tuple(Tier)
# Risk score bands: [0.0, 0.2), [0.2, 0.4), ..., [0.8, 1.0] (the top band includes 1.0).
BANDS: tuple[tuple[float, float], ...] = tuple((i / 5, (i + 1) / 5) for i in range(5))
JUDGED_SERIOUS = (Tier.HIGH, Tier.IMMINENT)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """[midnight of start, midnight after end) in the console's time zone, so a case
        received at 23:59 local time on the last day counts and one at 00:00 the next does not."""
        zone = timezone.get_default_timezone()
        return (
            timezone.make_aware(datetime.combine(self.start, time.min), zone),
            timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min), zone),
        )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def default_period(*, today: date | None = None) -> Period:
    """The last 30 days, today included."""
    today = today or timezone.localdate()
    return Period(start=today - timedelta(days=29), end=today)


@dataclass
class Row:
    """One line of the report: a platform's figures, or everyone's (`slug` "all")."""

    slug: str
    name: str
    platform_id: int | None = None
    received: int = 0
    claimed: int = 0
    withdrawn_before_claim: int = 0
    claim_p50_s: float | None = None
    claim_p90_s: float | None = None
    # Cases claimed within their tier's target (the tier at receipt), of those received.
    within_target: int = 0
    closed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    # Of the claimed cases: how many had a 911 call placed or a mobile crisis team requested.
    with_emergency_call: int = 0
    with_mobile_crisis: int = 0

    @property
    def outcome_list(self) -> list[int]:
        """Closed cases per outcome, in Outcome's order (the table's columns)."""
        return [self.outcomes.get(o.value, 0) for o in OUTCOMES]

    @property
    def within_target_pct(self) -> float | None:
        return _pct(self.within_target, self.received)

    @property
    def abandonment_pct(self) -> float | None:
        return _pct(self.withdrawn_before_claim, self.received)

    @property
    def emergency_call_pct(self) -> float | None:
        return _pct(self.with_emergency_call, self.claimed)

    @property
    def mobile_crisis_pct(self) -> float | None:
        return _pct(self.with_mobile_crisis, self.claimed)

    @property
    def not_at_risk_pct(self) -> float | None:
        """How often the platform's flags ended as "not at risk": its false alarms."""
        return _pct(self.outcomes.get(Outcome.NOT_AT_RISK, 0), self.closed)


@dataclass(frozen=True)
class Band:
    low: float
    high: float
    judged: int  # closed cases in the band with a counselor's assessment
    serious: int  # of those, judged high or imminent

    @property
    def label(self) -> str:
        return f"{self.low:.1f}-{self.high:.1f}"

    @property
    def serious_pct(self) -> float | None:
        return _pct(self.serious, self.judged)


@dataclass
class Quality:
    """How a platform's flags compare with what counselors found."""

    slug: str
    name: str
    # matrix[platform_level][final tier] = closed cases; both in Tier order.
    matrix: dict[str, dict[str, int]]
    bands: list[Band]

    @property
    def matrix_rows(self) -> list[tuple[Tier, list[tuple[Tier, int]]]]:
        """The 4 x 4 table in Tier order: each level, and its count per final tier."""
        return [(level, [(t, self.matrix[level][t]) for t in TIERS]) for level in TIERS]

    @property
    def judged(self) -> int:
        return sum(sum(row.values()) for row in self.matrix.values())

    @property
    def agreed(self) -> int:
        return sum(self.matrix[t][t] for t in Tier.values)

    @property
    def agreement_pct(self) -> float | None:
        return _pct(self.agreed, self.judged)


@dataclass(frozen=True)
class CounselorRow:
    name: str
    closed: int
    handle_p50_s: float | None


@dataclass(frozen=True)
class HelpFigures:
    asked: int
    answered: int
    wait_p50_s: float | None
    wait_p90_s: float | None


@dataclass
class Report:
    period: Period
    platform: Platform | None
    overall: Row
    rows: list[Row]  # one per platform with cases in the period (or the one asked for)
    quality: list[Quality]
    counselors: list[CounselorRow]
    help: HelpFigures


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks: what PostgreSQL's percentile_cont gives."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate; `fraction` is one of this module's constants."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, *, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def _seconds(later: str, earlier: str) -> Func:
    """later - earlier in seconds, in PostgreSQL."""
    return Func(
        CombinedExpression(F(later), "-", F(earlier)),
        template="EXTRACT(EPOCH FROM %(expressions)s)",
        output_field=FloatField(),
    )


def _in_database() -> bool:
    return connection.vendor == "postgresql"


def _cohort(period: Period, platform: Platform | None) -> QuerySet[Handoff]:
    start, end = period.bounds
    cases = Handoff.objects.filter(received_at__gte=start, received_at__lt=end)
    return cases.filter(platform=platform) if platform is not None else cases


def _within_target() -> Q:
    """Claimed no later than the target of the tier the platform gave at receipt."""
    q = Q()
    for tier, seconds in settings.QUEUE_TARGET_SECONDS.items():
        q |= Q(platform_level=tier, claimed_at__lte=F("received_at") + timedelta(seconds=seconds))
    return Q(claimed_at__isnull=False) & q


COUNTS = (
    "received",
    "claimed",
    "withdrawn_before_claim",
    "within_target",
    "closed",
    "with_emergency_call",
    "with_mobile_crisis",
)


def _claim_percentiles() -> dict[str, Any]:
    wait = _seconds("claimed_at", "received_at")
    claimed = Q(claimed_at__isnull=False)
    return {
        "claim_p50_s": PercentileCont(wait, fraction=0.5, filter=claimed),
        "claim_p90_s": PercentileCont(wait, fraction=0.9, filter=claimed),
    }


def _row_aggregates() -> dict[str, Any]:
    claimed = Q(claimed_at__isnull=False)
    figures: dict[str, Any] = {
        "received": Count("id"),
        "claimed": Count("id", filter=claimed),
        "withdrawn_before_claim": Count("id", filter=Q(status=Status.WITHDRAWN)),
        "within_target": Count("id", filter=_within_target()),
        "closed": Count("id", filter=Q(status=Status.CLOSED)),
        "with_emergency_call": Count(
            "id",
            filter=claimed & Q(Exists(EmergencyCall.objects.filter(handoff=OuterRef("pk")))),
        ),
        "with_mobile_crisis": Count(
            "id",
            filter=claimed & Q(Exists(MobileCrisisDispatch.objects.filter(handoff=OuterRef("pk")))),
        ),
    }
    for outcome in OUTCOMES:
        figures[f"outcome_{outcome.value}"] = Count(
            "id", filter=Q(status=Status.CLOSED, outcome=outcome)
        )
    if _in_database():
        figures |= _claim_percentiles()
    return figures


def _fill(row: Row, values: dict[str, Any]) -> Row:
    for name in COUNTS:
        setattr(row, name, values[name] or 0)
    row.outcomes = {o.value: values[f"outcome_{o.value}"] or 0 for o in OUTCOMES}
    if "claim_p50_s" in values:
        row.claim_p50_s = _round(values["claim_p50_s"])
        row.claim_p90_s = _round(values["claim_p90_s"])
    return row


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def _claim_waits_in_python(cases: QuerySet[Handoff], rows: Iterable[Row], overall: Row) -> None:
    """SQLite: one query for every claimed case's two times; percentiles here."""
    waits: dict[int, list[float]] = defaultdict(list)
    for platform_id, received_at, claimed_at in cases.filter(claimed_at__isnull=False).values_list(
        "platform_id", "received_at", "claimed_at"
    ):
        if claimed_at is not None:
            waits[platform_id].append((claimed_at - received_at).total_seconds())
    by_id = {row_id: row for row_id, row in _row_ids(rows)}
    for platform_id, values in waits.items():
        row = by_id.get(platform_id)
        if row is not None:
            row.claim_p50_s = _round(percentile(values, 0.5))
            row.claim_p90_s = _round(percentile(values, 0.9))
    everyone = [w for values in waits.values() for w in values]
    overall.claim_p50_s = _round(percentile(everyone, 0.5))
    overall.claim_p90_s = _round(percentile(everyone, 0.9))


def _row_ids(rows: Iterable[Row]) -> Iterable[tuple[int, Row]]:
    for row in rows:
        if row.platform_id is not None:
            yield row.platform_id, row


def _rows(cases: QuerySet[Handoff], platforms: dict[int, Platform]) -> tuple[Row, list[Row]]:
    """One grouped query for the platforms' rows; everyone's counts are their sums, and only
    everyone's percentiles need a (lighter) query of their own."""
    rows = []
    for values in cases.values("platform_id").annotate(**_row_aggregates()).order_by():
        platform = platforms[values["platform_id"]]
        rows.append(
            _fill(Row(slug=platform.slug, name=platform.name, platform_id=platform.pk), values)
        )
    overall = Row(slug="all", name="All platforms")
    for name in COUNTS:
        setattr(overall, name, sum(getattr(r, name) for r in rows))
    overall.outcomes = {o.value: sum(r.outcomes[o.value] for r in rows) for o in OUTCOMES}
    if _in_database():
        if overall.claimed:
            values = cases.aggregate(**_claim_percentiles())
            overall.claim_p50_s = _round(values["claim_p50_s"])
            overall.claim_p90_s = _round(values["claim_p90_s"])
    else:
        _claim_waits_in_python(cases, rows, overall)
    rows.sort(key=lambda r: (r.name.lower(), r.slug))
    return overall, rows


def _quality(cases: QuerySet[Handoff], rows: list[Row]) -> list[Quality]:
    """Closed cases whose tier a counselor set through an assessment: the tier they settled
    on, against the platform's level and its score. Two grouped queries."""
    judged = cases.filter(status=Status.CLOSED, tier_source=TierSource.COUNSELOR)
    matrix: dict[int, dict[str, dict[str, int]]] = defaultdict(
        lambda: {a: dict.fromkeys(Tier.values, 0) for a in Tier.values}
    )
    for values in (
        judged.values("platform_id", "platform_level", "tier").annotate(n=Count("id")).order_by()
    ):
        cell = matrix[values["platform_id"]]
        if values["platform_level"] in cell and values["tier"] in cell:
            cell[values["platform_level"]][values["tier"]] = values["n"]
    band = Case(
        *(When(risk_score__lt=high, then=Value(i)) for i, (_, high) in enumerate(BANDS[:-1])),
        default=Value(len(BANDS) - 1),
        output_field=IntegerField(),
    )
    bands: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    for values in (
        judged.filter(risk_score__isnull=False)
        .annotate(band=band)
        .values("platform_id", "band")
        .annotate(n=Count("id"), serious=Count("id", filter=Q(tier__in=JUDGED_SERIOUS)))
        .order_by()
    ):
        bands[values["platform_id"]][values["band"]] = (values["n"], values["serious"])
    out = []
    for platform_id, row in _row_ids(rows):
        counts = bands.get(platform_id, {})
        out.append(
            Quality(
                slug=row.slug,
                name=row.name,
                matrix=matrix[platform_id],
                bands=[
                    Band(low, high, *counts.get(i, (0, 0))) for i, (low, high) in enumerate(BANDS)
                ],
            )
        )
    return out


def _counselors(cases: QuerySet[Handoff]) -> list[CounselorRow]:
    """Closed cases per counselor (the one who closed it), and the median time from their
    claim to the close."""
    closed = cases.filter(status=Status.CLOSED, claimed_by__isnull=False)
    names = ("claimed_by_id", "claimed_by__display_name", "claimed_by__username")
    out = []
    if _in_database():
        for values in (
            closed.values(*names)
            .annotate(
                n=Count("id"),
                p50=PercentileCont(
                    _seconds("closed_at", "claimed_at"),
                    fraction=0.5,
                    filter=Q(claimed_at__isnull=False),
                ),
            )
            .order_by()
        ):
            name = values["claimed_by__display_name"] or values["claimed_by__username"]
            out.append(CounselorRow(name, values["n"], _round(values["p50"])))
    else:
        times: dict[str, list[float]] = defaultdict(list)
        counts: dict[str, int] = defaultdict(int)
        for _, display, username, claimed_at, closed_at in closed.values_list(
            *names, "claimed_at", "closed_at"
        ):
            name = display or username
            counts[name] += 1
            if claimed_at is not None and closed_at is not None:
                times[name].append((closed_at - claimed_at).total_seconds())
        out = [CounselorRow(n, c, _round(percentile(times[n], 0.5))) for n, c in counts.items()]
    return sorted(out, key=lambda r: (-r.closed, r.name.lower()))


def _help(period: Period, platform: Platform | None) -> HelpFigures:
    start, end = period.bounds
    asked = HelpRequest.objects.filter(asked_at__gte=start, asked_at__lt=end)
    if platform is not None:
        asked = asked.filter(handoff__platform=platform)
    answered = Q(wait_s__isnull=False)
    figures: dict[str, Any] = {"asked": Count("id"), "answered": Count("id", filter=answered)}
    if _in_database():
        figures["p50"] = PercentileCont(F("wait_s"), fraction=0.5, filter=answered)
        figures["p90"] = PercentileCont(F("wait_s"), fraction=0.9, filter=answered)
        values = asked.aggregate(**figures)
        return HelpFigures(
            values["asked"], values["answered"], _round(values["p50"]), _round(values["p90"])
        )
    waits = [float(w) for w in asked.values_list("wait_s", flat=True) if w is not None]
    return HelpFigures(
        asked.count(),
        len(waits),
        _round(percentile(waits, 0.5)),
        _round(percentile(waits, 0.9)),
    )


def platforms_all() -> list[Platform]:
    return list(Platform.objects.only("id", "slug", "name").order_by("name", "slug"))


def report_for(
    *, period: Period, platform: Platform | None = None, platforms: list[Platform] | None = None
) -> Report:
    """Everything the report shows. `platforms` (every platform, as the view already read them
    for its form) saves a query."""
    by_id = {p.pk: p for p in (platforms if platforms is not None else platforms_all())}
    cases = _cohort(period, platform)
    with transaction.atomic():
        if _in_database():
            # These few scans are planned as costly enough for PostgreSQL's JIT, whose
            # compiling took longer than the queries themselves (over 100,000 cases: about
            # 0.5 s of 0.7 s, measured by bench/reports_bench.py).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        overall, rows = _rows(cases, by_id)
        return Report(
            period=period,
            platform=platform,
            overall=overall,
            rows=rows,
            quality=_quality(cases, rows),
            counselors=_counselors(cases),
            help=_help(period, platform),
        )
