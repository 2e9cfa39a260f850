"""The report, its CSV and a platform's own CSV: the numbers against cases with known times, the
period's edges in the console's time zone, who may read them, and bad parameters.

Cases arrive through the signed intake, then the ORM sets the times and ends a supervisor would
otherwise wait for (received, claimed, closed, outcome): the figures depend only on those
times and on the period asked for, never on the clock.
"""

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from counselors.models import Role, User
from handoff.models import (
    EmergencyCall,
    Handoff,
    MobileCrisisDispatch,
    Outcome,
    Status,
    Tier,
    TierSource,
)
from handoff.models.supervision import HelpRequest
from handoff.reports import selectors
from handoff.reports.csv import COLUMNS
from handoff.templatetags.report_tags import figure
from tests.support.factories import PlatformWithSecrets, handoff_body, post_signed
from tests.support.staff import make_staff, signed_in

pytestmark = pytest.mark.django_db

HEADER = (
    "platform,from,to,received,claimed,withdrawn_before_claim,time_to_claim_p50_s,"
    "time_to_claim_p90_s,claimed_within_target_pct,closed,deescalated,mobile_crisis,"
    "emergency_call,no_contact,not_at_risk,referred"
)
PERIOD = "from=2025-03-10&to=2025-03-12"
# 2025-03-10 00:00 in New York (EDT, UTC-4: daylight time began on 9 March).
T = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _console(settings: Any) -> None:
    settings.TIME_ZONE = "America/New_York"
    settings.QUEUE_TARGET_SECONDS = {"imminent": 30, "high": 120, "moderate": 300, "low": 900}


def _case(p: PlatformWithSecrets, level: str, received_at: datetime, **fields: Any) -> Handoff:
    body = handoff_body()
    body["risk"] = {**body["risk"], "level": level}
    response = post_signed(Client(), p.url(), secret=p.inbound_secret, body=body)
    assert response.status_code == 202, response.content
    Handoff.objects.filter(pk=response.json()["id"]).update(
        received_at=received_at, queued_at=received_at, **fields
    )
    return Handoff.objects.get(pk=response.json()["id"])


def _claimed(
    p: PlatformWithSecrets,
    level: str,
    *,
    after: int,
    by: User,
    at: datetime = T,
    close_after: int | None = None,
    outcome: str = "",
    final: str = "",
    score: float = 0.5,
) -> Handoff:
    fields: dict[str, Any] = {
        "status": Status.CLAIMED,
        "claimed_by": by,
        "claimed_at": at + timedelta(seconds=after),
        "risk_score": score,
    }
    if close_after is not None:
        fields |= {
            "status": Status.CLOSED,
            "closed_at": at + timedelta(seconds=after + close_after),
            "outcome": outcome,
        }
    if final:
        fields |= {"tier": final, "tier_source": TierSource.COUNSELOR}
    return _case(p, level, at, **fields)


@pytest.fixture
def world(platform_factory: Any) -> dict[str, Any]:
    """Two platforms, two counselors, and cases whose every figure is worked out by hand in
    the tests below."""
    alpha, beta = platform_factory(), platform_factory()
    for p, name in ((alpha, "Alpha"), (beta, "Beta")):
        p.platform.name = name
        p.platform.save(update_fields=["name"])
    ana = make_staff("ana", display_name="Ana")
    ben = make_staff("ben", display_name="Ben")
    # Alpha: claims after 60 s (high: target 120, met), 45 s (imminent: 30, missed), 1000 s
    # (low: 900, missed); one withdrawn while waiting; two still waiting, one of them in the
    # last second of the period.
    _claimed(alpha, "high", after=60, by=ana, close_after=600, outcome=Outcome.DEESCALATED,
             final=Tier.MODERATE, score=0.91)  # fmt: skip
    called = _claimed(alpha, "imminent", after=45, by=ana, close_after=1200,
                      outcome=Outcome.EMERGENCY_CALL, final=Tier.IMMINENT, score=0.95)  # fmt: skip
    _claimed(alpha, "low", after=1000, by=ana, close_after=300, outcome=Outcome.NOT_AT_RISK,
             final=Tier.LOW, score=0.1)  # fmt: skip
    _case(alpha, "moderate", T + timedelta(hours=1), status=Status.WITHDRAWN,
          withdrawn_at=T + timedelta(hours=1, seconds=20))  # fmt: skip
    _case(alpha, "high", T + timedelta(hours=2))
    _case(alpha, "high", T + timedelta(days=3) - timedelta(seconds=1))  # 23:59:59 on the 12th
    # Outside the period in New York, though inside it in UTC for the first one.
    _case(alpha, "high", T - timedelta(minutes=30))  # 23:30 on the 9th
    _case(alpha, "high", T + timedelta(days=3))  # 00:00 on the 13th
    EmergencyCall.objects.create(
        handoff=called,
        counselor=ana,
        center_name="County 911",
        center_number="+16145550100",
        dialed_at=T + timedelta(minutes=5),
        person_consented=True,
        relayed="Location and risk",
    )
    # Beta: claims after 100 s (moderate: 300, met) and 200 s (high: 120, missed).
    sent_team = _claimed(beta, "moderate", after=100, by=ben, close_after=900,
                         outcome=Outcome.REFERRED)  # fmt: skip
    _claimed(beta, "high", after=200, by=ben)
    MobileCrisisDispatch.objects.create(
        handoff=sent_team, team_name="Team A", requested_by=ben, requested_at=T
    )
    HelpRequest.objects.create(
        handoff=called,
        asked_by=ana,
        asked_at=T + timedelta(minutes=2),
        answered_at=T + timedelta(minutes=2, seconds=40),
        answered_by=make_staff("sue", role=Role.SUPERVISOR),
        wait_s=40,
    )
    HelpRequest.objects.create(handoff=called, asked_by=ana, asked_at=T + timedelta(minutes=3))
    HelpRequest.objects.create(handoff=called, asked_by=ana, asked_at=T - timedelta(days=2))
    return {"alpha": alpha.slug, "beta": beta.slug}


def _supervisor() -> Client:
    return signed_in(make_staff("sam", role=Role.SUPERVISOR))


def _csv(client: Client, query: str) -> list[str]:
    response = client.get(f"/reports.csv?{query}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return response.content.decode().splitlines()


def test_csv_gives_exactly_the_rows_worked_out_by_hand(world: dict[str, Any]) -> None:
    a, b = world["alpha"], world["beta"]
    lines = _csv(_supervisor(), PERIOD)
    assert lines == [
        HEADER,
        # received 6 (two outside the New York day are left out), claimed 3, withdrawn 1;
        # waits 45, 60, 1000: p50 60, p90 60 + 0.8 * 940; within target 1 of 6.
        f"{a},2025-03-10,2025-03-12,6,3,1,60,812,16.7,3,1,0,1,0,1,0",
        f"{b},2025-03-10,2025-03-12,2,2,0,150,190,50,1,0,0,0,0,0,1",
        # waits 45, 60, 100, 200, 1000: p50 100, p90 200 + 0.6 * 800; within 2 of 8.
        "all,2025-03-10,2025-03-12,8,5,1,100,680,25,4,1,0,1,0,1,1",
    ]


def test_csv_header_is_exact() -> None:
    assert ",".join(COLUMNS) == HEADER
    lines = _csv(_supervisor(), PERIOD)
    assert lines[0] == HEADER
    # An empty period: every count 0, every time and share empty.
    assert lines[1:] == ["all,2025-03-10,2025-03-12,0,0,0,,,,0,0,0,0,0,0,0"]


def test_the_embedded_database_gives_the_same_numbers(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite has no percentile_cont: the same figures interpolated in Python."""
    client = _supervisor()
    in_database = _csv(client, PERIOD)
    monkeypatch.setattr(selectors, "_in_database", lambda: False)
    assert _csv(client, PERIOD) == in_database
    page = client.get(f"/reports/?{PERIOD}").content.decode()
    assert "600 s" in page  # Ana's median handle time, from Python this time


def test_one_platform_and_its_edges(world: dict[str, Any]) -> None:
    client = _supervisor()
    lines = _csv(client, f"{PERIOD}&platform={world['beta']}")
    assert lines[1:] == [
        f"{world['beta']},2025-03-10,2025-03-12,2,2,0,150,190,50,1,0,0,0,0,0,1",
        "all,2025-03-10,2025-03-12,2,2,0,150,190,50,1,0,0,0,0,0,1",
    ]
    # The 10th alone holds every alpha case but the one on the 12th.
    day = _csv(client, f"from=2025-03-10&to=2025-03-10&platform={world['alpha']}")
    assert day[1].split(",")[3] == "5"
    # The 9th in New York holds the case received at 03:30 UTC on the 10th.
    before = _csv(client, f"from=2025-03-09&to=2025-03-09&platform={world['alpha']}")
    assert before[1].split(",")[3] == "1"


def test_report_page_shows_the_figures_a_supervisor_needs(world: dict[str, Any]) -> None:
    page = _supervisor().get(f"/reports/?{PERIOD}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "from <strong>10 Mar 2025</strong> to <strong>12 Mar 2025</strong>" in html
    total = html[html.index('<tr class="total" data-platform="all">') :]
    total = total[: total.index("</tr>")]
    for cell in ("<td>8</td>", "<td>5</td>", "100 s", "680 s", "25%", "<td>4</td>"):
        assert cell in total
    # 911 calls and teams, of the claimed cases: alpha 1 of 3, beta 1 of 2 teams.
    alpha_row = html[html.index(f'data-platform="{world["alpha"]}"') :]
    assert "33.3%" in alpha_row[: alpha_row.index("</tr>")]
    assert "1 asked" not in html and "2 asked, 1 answered" in html and "median 40 s" in html
    counselors = html[html.index('data-testid="report-counselors"') :]
    assert "Ana</th><td>3</td><td>600 s" in counselors
    assert "Ben</th><td>1</td><td>900 s" in counselors
    # Charts drawn here, each with a table of its numbers.
    assert html.count("<svg") >= 4 and "<script" not in html.split("</head>")[1]
    assert html.count('<table class="visually-hidden">') == html.count("<svg")
    # Nothing about the person.
    assert "+16145550142" not in html and "Main St" not in html


def test_platform_quality(world: dict[str, Any]) -> None:
    client = _supervisor()
    html = client.get(f"/reports/?{PERIOD}").content.decode()
    quality = html[html.index(f'data-testid="quality-{world["alpha"]}"') :]
    quality = quality[: quality.index("</article>")]
    assert "Closed as not at risk: <strong>33.3%</strong> of 3 closed" in quality
    assert "agree in 66.7% of 3 assessed" in quality
    rows = client.get(f"/reports/platforms/{world['alpha']}.csv?{PERIOD}").content.decode()
    figures = list(csv.DictReader(io.StringIO(rows)))
    cells = {
        (f["platform_level"], f["final_tier"]): f["value"]
        for f in figures
        if f["figure"] == "cases_by_level_and_final_tier"
    }
    assert len(cells) == 16
    assert {k: v for k, v in cells.items() if v != "0"} == {
        ("high", "moderate"): "1",
        ("imminent", "imminent"): "1",
        ("low", "low"): "1",
    }
    bands = {
        f["score_band"]: f["value"] for f in figures if f["figure"] == "judged_high_or_imminent_pct"
    }
    # 0.91 judged moderate, 0.95 imminent: half of the top band; 0.1 judged low.
    assert bands == {"0.0-0.2": "0", "0.2-0.4": "", "0.4-0.6": "", "0.6-0.8": "", "0.8-1.0": "50"}
    summary = {f["figure"]: f["value"] for f in figures if not f["score_band"]}
    assert summary["received"] == "6" and summary["not_at_risk_pct"] == "33.3"
    assert {f["platform"] for f in figures} == {world["alpha"]}
    # Another platform's figures are not in it, nor anything about a person or a counselor.
    assert world["beta"] not in rows and "Ana" not in rows and "+1614" not in rows


def test_counselors_are_refused_and_strangers_sent_to_sign_in(world: dict[str, Any]) -> None:
    counselor = signed_in(make_staff("cal"))
    for url in ("/reports/", "/reports.csv", f"/reports/platforms/{world['alpha']}.csv"):
        assert counselor.get(url).status_code == 403
        assert Client().get(url).status_code == 302
    admin = signed_in(make_staff("ada", role=Role.ADMIN))
    assert admin.get(f"/reports/?{PERIOD}").status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2025-03-12&to=2025-03-10", "The end of the period comes before its start."),
        ("from=2025-02-30", "Enter the start as YYYY-MM-DD."),
        ("to=yesterday", "Enter the end as YYYY-MM-DD."),
        ("from=1999-12-31", "Dates start from 2000-01-01."),
        ("from=9999-12-31&to=9999-12-31", "more than a year ahead"),
        ("from=99999-01-01", "Enter the start as YYYY-MM-DD."),
        ("platform=nobody", "No platform with that name."),
        ("platform=%3D1%2B1", "No platform with that name."),
    ],
)
def test_bad_parameters_answer_400_with_the_form(query: str, message: str) -> None:
    client = _supervisor()
    for url in ("/reports/", "/reports.csv"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400
        html = response.content.decode()
        assert message in html and '<form method="get" action="/reports/"' in html


def test_default_period_is_the_last_30_days(platform_factory: Any) -> None:
    p = platform_factory()
    post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body())
    period = selectors.default_period()
    assert period.days == 30
    lines = _csv(_supervisor(), "")
    assert lines[-1].startswith(f"all,{period.start},{period.end},1,")


def test_a_formula_in_a_slug_is_neutralised(platform_factory: Any) -> None:
    p = platform_factory()
    body = handoff_body()
    post_signed(Client(), p.url(), secret=p.inbound_secret, body=body)
    p.platform.slug = "-cmd"
    p.platform.save(update_fields=["slug"])
    lines = _csv(_supervisor(), "")
    assert lines[1].startswith("'-cmd,")


def test_a_platform_name_is_text_in_every_chart_and_table(platform_factory: Any) -> None:
    """Names come from the admin: markup in one is shown as text, in the drawing's labels and
    in the tables that carry the same numbers."""
    p = platform_factory()
    post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body())
    p.platform.name = '<img src=x onerror="alert(1)"> & Co'
    p.platform.save(update_fields=["name"])
    html = _supervisor().get("/reports/").content.decode()
    assert "<img" not in html
    assert html.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Co") >= 4
    # The drawing's label is cut to 30 characters; the table keeps the whole name.
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;…</text>" in html


def _bulk(count: int, platforms: list[Any], counselor: User) -> None:
    """Cases straight into the table (the intake would take minutes for a thousand), every
    status and outcome represented."""
    outcomes = list(Outcome)
    cases = []
    for i in range(count):
        received = T + timedelta(minutes=i)
        kind = i % 4
        case = Handoff(
            platform=platforms[i % len(platforms)].platform,
            external_id=f"bulk-{i}",
            tier=Tier.HIGH,
            platform_level=list(Tier)[i % 4],
            risk_score=(i % 10) / 10,
            flagged_at=received,
            received_at=received,
            queued_at=received,
        )
        if kind == 1:
            case.status, case.withdrawn_at = Status.WITHDRAWN, received
        elif kind >= 2:
            case.status = Status.CLAIMED
            case.claimed_by, case.claimed_at = counselor, received + timedelta(seconds=i % 300)
        if kind == 3:
            case.status, case.outcome = Status.CLOSED, outcomes[i % len(outcomes)]
            case.closed_at = received + timedelta(minutes=10)
            case.tier_source = TierSource.COUNSELOR
        cases.append(case)
    Handoff.objects.bulk_create(cases, batch_size=500)


@pytest.mark.parametrize("path", ["/reports/", "/reports.csv"])
def test_query_count_is_flat_from_10_to_1000_cases(
    path: str, platform_factory: Any, django_assert_max_num_queries: Any
) -> None:
    platforms = [platform_factory(), platform_factory()]
    client = _supervisor()
    ana = make_staff("ana")
    counts = []
    for size in (10, 1000):
        Handoff.objects.all().delete()
        _bulk(size, platforms, ana)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{path}?from=2025-03-01&to=2025-03-31")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(15):
        client.get(f"{path}?from=2025-03-01&to=2025-03-31")


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (None, " s", "\N{EN DASH}"),
        (100.0, " s", "100 s"),
        (33.333, "%", "33.3%"),
        (0, "%", "0%"),
        (7, "", "7"),
    ],
)
def test_a_figure_reads_as_the_report_writes_it(value: Any, unit: str, text: str) -> None:
    assert figure(value, unit) == text
