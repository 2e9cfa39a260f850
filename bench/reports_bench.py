"""The supervisors' report over 100,000 cases, beside a Django hello and the bare aggregation.

    uv run --frozen python -m bench.reports_bench [--quick]

In rounds, one request at a time (a report is asked for by one supervisor, not a crowd): each
round sends one of each, so a machine that gets busier during the run weighs on all three alike.

- django hello: GET /healthz from one daphne process: the floor of any Django answer in it.
- aggregation: selectors.report_for() called in a Django process of its own against the same
  database: the SQL the report needs, with no HTTP, session or template.
- report: GET /reports/ for the last 30 days as a signed-in supervisor, from the same daphne.

The target: report p50 <= 2 x hello p50 + aggregation p50, all from the same run.

The cases are inserted in bulk into a database of the benchmark's own (handoff_reports_bench),
spread over the last 30 days, 4 platforms and every status and outcome; a second run reuses
them when they are already there.
"""

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import django
import httpx

from bench.common import (
    ROOT,
    Outcome,
    Server,
    daphne,
    ensure_database,
    machine,
    manage,
    percentile,
    print_table,
    production_env,
    run_setup,
    setup_main,
    skip_sniffio_lookup,
    standard_arguments,
    stop_on_sigterm,
)

MODULE = "bench.reports_bench"
DATABASE_NAME = "handoff_reports_bench"
PLATFORMS = ("bench-reports-a", "bench-reports-b", "bench-reports-c", "bench-reports-d")


@dataclass(frozen=True)
class Settings:
    cases: int
    warmup: int
    requests: int
    seconds: float


# --- Set-up steps, run in a Django process of their own (see bench.common.run_setup) ---------


def _setup_seed(payload: dict[str, Any]) -> dict[str, Any]:
    """`cases` cases over the last 30 days, in bulk, unless that many are already there. No
    transcript, consent or summary: the report reads none of them."""
    # Django is imported in the set-up steps only: they run in a process that configures it
    # first (bench.common.run_setup); the benchmark's own process never sets Django up.
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from counselors.models import Role, User
    from handoff.models import Handoff, Outcome, Platform, Status, Tier, TierSource
    from handoff.platforms import platform_create
    from tests.support.staff import signed_in

    wanted = int(payload["cases"])
    platforms = []
    for slug in PLATFORMS:
        if not Platform.objects.filter(slug=slug).exists():
            platform_create(slug=slug, name=f"Benchmark {slug[-1].upper()}")
        platforms.append(Platform.objects.get(slug=slug))
    counselors = []
    for i in range(20):
        user, _ = User.objects.get_or_create(
            username=f"bench-reports-{i:02d}",
            defaults={
                "role": Role.COUNSELOR,
                "display_name": f"Counselor {i:02d}",
                "password": make_password(None),
            },
        )
        counselors.append(user)
    have = Handoff.objects.filter(platform__in=platforms).count()
    if have != wanted:
        Handoff.objects.filter(platform__in=platforms).delete()
        rng = random.Random(wanted)
        now = timezone.now()
        tiers = list(Tier)
        outcomes = list(Outcome)
        started = time.perf_counter()
        for start in range(0, wanted, 5000):
            batch = []
            for _ in range(start, min(start + 5000, wanted)):
                received = now - timedelta(seconds=rng.uniform(0, 29 * 86400))
                level = rng.choices(tiers, [2, 4, 3, 1])[0]
                case = Handoff(
                    platform=rng.choice(platforms),
                    external_id=f"bench-{uuid.uuid4().hex}",
                    status=Status.CLOSED,
                    tier=level,
                    platform_level=level,
                    risk_score=round(rng.random(), 2),
                    risk_model="bench",
                    flagged_at=received,
                    received_at=received,
                    queued_at=received,
                )
                fate = rng.random()
                if fate < 0.05:
                    case.status = Status.WITHDRAWN
                    case.withdrawn_at = received + timedelta(seconds=rng.uniform(5, 600))
                elif fate < 0.08:
                    case.status = Status.QUEUED
                else:
                    case.claimed_by = rng.choice(counselors)
                    case.claimed_at = received + timedelta(seconds=rng.expovariate(1 / 90))
                    if fate < 0.12:
                        case.status = Status.CLAIMED
                    else:
                        case.closed_at = case.claimed_at + timedelta(seconds=rng.uniform(300, 3600))
                        case.outcome = rng.choice(outcomes)
                        if rng.random() < 0.7:
                            case.tier = rng.choice(tiers)
                            case.tier_source = TierSource.COUNSELOR
                batch.append(case)
            Handoff.objects.bulk_create(batch)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE handoff_handoff")
        seeded = time.perf_counter() - started
    else:
        seeded = 0.0
    supervisor, _ = User.objects.get_or_create(
        username="bench-reports-supervisor",
        defaults={"role": Role.SUPERVISOR, "password": make_password(None)},
    )
    client = signed_in(supervisor)  # verified by an authenticator, as the sign-in page does
    return {
        "cases": Handoff.objects.filter(platform__in=platforms).count(),
        "seeded_seconds": round(seeded, 1),
        "cookie": client.cookies["sessionid"].value,
    }


SETUP_ACTIONS: dict[str, Callable[[Any], Any]] = {"seed": _setup_seed}


def aggregation_main() -> int:
    """The aggregation side of the rounds, in a Django process of its own: each line read on
    standard input runs report_for() once and answers its seconds and the cases it saw."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from handoff.reports import selectors  # after django.setup(), in this process only

    period = selectors.default_period()
    for _ in sys.stdin:
        started = time.perf_counter()
        report = selectors.report_for(period=period)
        elapsed = time.perf_counter() - started
        print(json.dumps({"seconds": elapsed, "received": report.overall.received}), flush=True)
    return 0


class Aggregation:
    """The process that times report_for() when asked, one call per round."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", MODULE, "--aggregation"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.received = 0

    def once(self) -> float:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the aggregation process stopped")
        answer = json.loads(line)
        self.received = int(answer["received"])
        return float(answer["seconds"])

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


# --- Measurement ----------------------------------------------------------------------------


@dataclass
class Rounds:
    hello: Outcome = field(default_factory=Outcome)
    report: Outcome = field(default_factory=Outcome)
    aggregation: list[float] = field(default_factory=list)


async def rounds(
    server: Server, aggregation: Aggregation, cookie: str, settings: Settings
) -> Rounds:
    """Warm-up rounds, then timed ones until `requests` rounds or `seconds` passed; each round
    one hello, one aggregation, one report, one after the other."""
    out = Rounds()
    headers = {"Cookie": f"sessionid={cookie}"}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:

        async def get(path: str, outcome: Outcome | None, **kwargs: Any) -> None:
            cpu = server.cpu_seconds()
            started = time.perf_counter()
            try:
                status = (await client.get(path, **kwargs)).status_code
            except httpx.HTTPError:
                status = 0
            if outcome is not None:
                outcome.latencies.append(time.perf_counter() - started)
                outcome.statuses.append(status)
                outcome.server_cpu += server.cpu_seconds() - cpu

        for _ in range(settings.warmup):
            await get("/healthz", None)
            aggregation.once()
            await get("/reports/", None, headers=headers)
        deadline = time.perf_counter() + settings.seconds
        while len(out.aggregation) < settings.requests and time.perf_counter() < deadline:
            await get("/healthz", out.hello)
            out.aggregation.append(aggregation.once())
            await get("/reports/", out.report, headers=headers)
    return out


def _row(name: str, latencies: Sequence[float], errors: int, cpu_ms: str) -> list[str]:
    ms = [x * 1000 for x in latencies]
    return [
        name,
        str(len(ms)),
        f"{percentile(ms, 50):.1f}",
        f"{percentile(ms, 90):.1f}",
        f"{percentile(ms, 99):.1f}",
        str(errors),
        cpu_ms,
    ]


def bench_env() -> dict[str, str]:
    env = production_env()
    parts = urlsplit(env["DATABASE_URL"])
    env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{DATABASE_NAME}"))
    env["CHANNEL_PREFIX"] = f"benchr{os.getpid()}"
    return env


def main(argv: Sequence[str] | None = None) -> int:
    parser = standard_arguments(__doc__.splitlines()[0] if __doc__ else "reports benchmark")
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    parser.add_argument("--cases", type=int, help="cases in the database (100,000)")
    parser.add_argument("--aggregation", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.setup:
        return setup_main(SETUP_ACTIONS, args.setup)
    if args.aggregation:
        return aggregation_main()
    settings = (
        Settings(args.cases or 100_000, 3, 20, 30.0)
        if args.quick
        else Settings(args.cases or 100_000, 10, 100, 120.0)
    )
    stop_on_sigterm()
    skip_sniffio_lookup()
    env = bench_env()
    print(f"machine: {machine()}")
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    ensure_database(env["DATABASE_URL"])
    manage("migrate", "--noinput", env=env)
    seeded = run_setup(MODULE, "seed", {"cases": settings.cases}, env)
    print(
        f"cases: {seeded['cases']:,}"
        + (f" (inserted in {seeded['seeded_seconds']} s)" if seeded["seeded_seconds"] else "")
    )
    print(
        f"load: one client, one request at a time, in rounds of hello, aggregation, report; "
        f"{settings.warmup} warm-up rounds then {settings.requests}"
    )
    aggregation = Aggregation(env)
    try:
        with daphne("config.asgi:application", name="console", env=env) as console:
            measured = asyncio.run(rounds(console, aggregation, seeded["cookie"], settings))
            log = console.log_path
    finally:
        aggregation.close()
    hello, report, aggregated = measured.hello, measured.report, measured.aggregation

    def cpu(o: Outcome) -> str:
        return f"{o.server_cpu * 1000 / max(o.count, 1):.1f}"

    print()
    print_table(
        ("scenario", "requests", "p50 ms", "p90 ms", "p99 ms", "errors", "server CPU ms/req"),
        [
            _row("django hello", hello.latencies, hello.errors(200), cpu(hello)),
            _row("aggregation", aggregated, 0, "-"),
            _row("report", report.latencies, report.errors(200), cpu(report)),
        ],
    )
    hello_ms = percentile([x * 1000 for x in hello.latencies], 50)
    agg_ms = percentile([x * 1000 for x in aggregated], 50)
    report_ms = percentile([x * 1000 for x in report.latencies], 50)
    budget = 2 * hello_ms + agg_ms
    print()
    print(
        f"report p50 {report_ms:.1f} ms = {report_ms / hello_ms:.1f}x hello, "
        f"{report_ms / agg_ms:.2f}x aggregation; "
        f"target 2 x hello + aggregation = {budget:.1f} ms: "
        f"{report_ms / budget:.2f} of it ({'met' if report_ms <= budget else 'MISSED'})"
    )
    print(f"aggregation saw {aggregation.received:,} cases received in the last 30 days")
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"server log: {log}")
    ok = not hello.errors(200) and not report.errors(200) and aggregation.received > 0
    return 0 if ok and report_ms <= budget else 1


if __name__ == "__main__":
    raise SystemExit(main())
