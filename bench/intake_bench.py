"""Signed handoff intake on daphne + PostgreSQL + Redis, beside two baselines from the same run.

    uv run --frozen python -m bench.intake_bench [--quick]

Scenarios, one after the other, each at the same fixed concurrency from one asyncio client:

- asgi hello: a bare ASGI callable (bench/asgi_hello.py) in its own daphne process: the server's
  floor.
- django hello: GET /healthz from the console's daphne process: the floor plus Django.
- intake: POST /api/v1/platforms/{slug}/handoffs, signed, from the same console process.

Every intake request is signed before the timed part, so the client's signing cost is not in the
figures. Afterwards the stored handoffs are counted: they must equal the 202s.
"""

import asyncio
import contextlib
import itertools
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from bench.common import (
    Outcome,
    Server,
    closed_loop,
    daphne,
    database_sessions,
    ensure_database,
    machine,
    manage,
    percentile,
    print_table,
    production_env,
    skip_sniffio_lookup,
    standard_arguments,
    stop_on_sigterm,
)
from handoff.demo.sample import sample_handoff

# High enough that the platform's token bucket never refuses during a run.
RATE_LIMIT_PER_MINUTE = 100_000_000
LEVELS = ("low", "moderate", "high", "imminent")
# The console refuses timestamps older than 5 minutes; every phase is bounded well below that.
WARMUP_MAX_SECONDS = 60.0


@dataclass(frozen=True)
class Settings:
    concurrency: int
    warmup: int
    requests: int
    seconds: float


@dataclass(frozen=True)
class Prepared:
    """A request ready to send: everything costly (signing, encoding) done beforehand."""

    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Result:
    scenario: str
    outcome: Outcome
    expected: int
    warmup_statuses: Counter[int]
    first_error: str = ""

    def row(self) -> list[str]:
        o = self.outcome
        ms = [x * 1000 for x in o.latencies]
        per_request = max(o.count, 1)
        return [
            self.scenario,
            str(o.count),
            f"{o.rate:,.0f}",
            f"{percentile(ms, 50):.1f}",
            f"{percentile(ms, 99):.1f}",
            str(o.errors(self.expected)),
            f"{o.server_cpu * 1000 / per_request:.2f}",
            f"{o.client_cpu * 1000 / per_request:.2f}",
        ]


HEADERS = (
    "scenario",
    "requests",
    "req/s",
    "p50 ms",
    "p99 ms",
    "errors",
    "server CPU ms/req",
    "client CPU ms/req",
)


def sign_all(path: str, secret: str, count: int) -> list[Prepared]:
    """`count` distinct handoffs (own webhook-id, own external_id), signed now."""
    webhook = Webhook(secret)
    signed = []
    for i, level in zip(range(count), itertools.cycle(LEVELS), strict=False):
        payload = json.dumps(sample_handoff(level=level))
        msg_id = f"msg_bench_{uuid.uuid4().hex}"
        now = datetime.now(tz=UTC)
        signed.append(
            Prepared(
                method="POST",
                path=path,
                body=payload.encode(),
                headers={
                    "webhook-id": msg_id,
                    "webhook-timestamp": str(int(now.timestamp())),
                    "webhook-signature": webhook.sign(msg_id, now, payload),
                    "content-type": "application/json",
                    # Lets the access log tell runs apart; the console ignores it.
                    "user-agent": f"handoff-bench/{i}",
                },
            )
        )
    return signed


async def run_scenario(
    name: str, server: Server, settings: Settings, requests: Sequence[Prepared], expected: int
) -> Result:
    """Warm up (left out of the figures), then the timed run. Each worker has its own client
    with one keep-alive connection: httpx's shared pool rescans every connection for every
    request, which made the client, not the server, the bottleneck."""
    errors: list[str] = []
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=server.base_url,
                    limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                    timeout=30,
                )
            )
            for _ in range(settings.concurrency)
        ]

        def sender(offset: int) -> Callable[[int, int], Awaitable[int]]:
            async def send(worker: int, i: int) -> int:
                request = requests[offset + i]
                try:
                    response = await clients[worker].request(
                        request.method, request.path, content=request.body, headers=request.headers
                    )
                except httpx.HTTPError as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    return 0
                if response.status_code != expected:
                    errors.append(f"{response.status_code}: {response.text[:300]}")
                return response.status_code

            return send

        warm = await closed_loop(
            sender(0),
            total=min(settings.warmup, len(requests)),
            concurrency=settings.concurrency,
            max_seconds=WARMUP_MAX_SECONDS,
        )
        timed = await closed_loop(
            sender(settings.warmup),
            total=len(requests) - settings.warmup,
            concurrency=settings.concurrency,
            max_seconds=settings.seconds,
            server=server,
        )
    return Result(
        scenario=name,
        outcome=timed,
        expected=expected,
        warmup_statuses=Counter(warm.statuses),
        first_error=errors[0] if errors else "",
    )


@dataclass
class OpenLoop:
    """Requests sent at a fixed arrival rate, whatever the server's speed (an open loop), with
    latency counted from each request's due time, so queueing in the server is not hidden."""

    name: str
    rate: float
    sent: int
    seconds: float
    latencies: list[float]
    statuses: Counter[int]
    first_error: str
    expected: int

    @property
    def p99_ms(self) -> float:
        return percentile([x * 1000 for x in self.latencies], 99)

    @property
    def errors(self) -> int:
        return self.sent - self.statuses[self.expected]

    def row(self) -> list[str]:
        ms = [x * 1000 for x in self.latencies]
        return [
            f"{self.name} at {self.rate:.0f}/s",
            str(self.sent),
            f"{self.sent / self.seconds:,.0f}" if self.seconds else "-",
            f"{percentile(ms, 50):.1f}",
            f"{percentile(ms, 99):.1f}",
            str(self.errors),
        ]


async def open_loop(
    name: str, server: Server, requests: Sequence[Prepared], rate: float, expected: int
) -> OpenLoop:
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    async with httpx.AsyncClient(
        base_url=server.base_url,
        limits=httpx.Limits(max_connections=512, max_keepalive_connections=512),
        timeout=30,
    ) as client:

        async def one(request: Prepared, due: float) -> None:
            try:
                response = await client.request(
                    request.method, request.path, content=request.body, headers=request.headers
                )
                statuses[response.status_code] += 1
                if response.status_code != expected:
                    errors.append(f"{response.status_code}: {response.text[:300]}")
            except httpx.HTTPError as exc:
                statuses[0] += 1
                errors.append(f"{type(exc).__name__}: {exc}")
            latencies.append(loop.time() - due)

        start = loop.time()
        tasks = []
        for i, request in enumerate(requests):
            due = start + i / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(request, due)))
        await asyncio.gather(*tasks)
        elapsed = loop.time() - start
    return OpenLoop(
        name,
        rate,
        len(requests),
        elapsed,
        latencies,
        statuses,
        errors[0] if errors else "",
        expected,
    )


def create_platform(env: dict[str, str]) -> tuple[str, str]:
    """A fresh platform per run (so its handoffs can be counted alone), its bucket out of the
    way. Returns the slug and the inbound secret."""
    slug = f"bench-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    created = json.loads(manage("platform_create", slug, "--name", f"Benchmark {slug}", env=env))
    updated = manage(
        "shell",
        "-c",
        "from handoff.models import Platform; "
        f"print(Platform.objects.filter(slug={slug!r})"
        f".update(rate_limit_per_minute={RATE_LIMIT_PER_MINUTE}))",
        env=env,
    )
    if updated.strip().splitlines()[-1] != "1":
        raise RuntimeError(f"could not raise the rate limit of {slug}: {updated!r}")
    return slug, str(created["inbound_secret"])


def stored_handoffs(env: dict[str, str], slug: str) -> int:
    out = manage(
        "shell",
        "-c",
        "from handoff.models import Handoff; "
        f"print(Handoff.objects.filter(platform__slug={slug!r}).count())",
        env=env,
    )
    return int(out.strip().splitlines()[-1])


async def measure(
    settings: Settings,
    hello: Server,
    console: Server,
    slug: str,
    secret: str,
    database_url: str,
) -> tuple[list[Result], int]:
    """The three scenarios in turn, and how many connections the console opened to PostgreSQL
    during intake."""
    count = settings.warmup + settings.requests
    results = [
        await run_scenario("asgi hello", hello, settings, [Prepared("GET", "/")] * count, 200),
        await run_scenario(
            "django hello", console, settings, [Prepared("GET", "/healthz")] * count, 200
        ),
    ]
    # Signed just before use: the console refuses timestamps more than 5 minutes old.
    signed = sign_all(f"/api/v1/platforms/{slug}/handoffs", secret, count)
    sessions = database_sessions(database_url)
    results.append(await run_scenario("intake", console, settings, signed, 202))
    # PostgreSQL publishes its statistics with a delay of up to a second.
    await asyncio.sleep(1.5)
    return results, database_sessions(database_url) - sessions


async def measure_open_loop(
    console: Server, slug: str, secret: str, rate: float, seconds: float
) -> tuple[OpenLoop, OpenLoop]:
    """Django hellos, then intakes, each arriving at `rate` for `seconds`."""
    count = max(1, int(rate * seconds))
    hello = await open_loop(
        "django hello", console, [Prepared("GET", "/healthz")] * count, rate, 200
    )
    signed = sign_all(f"/api/v1/platforms/{slug}/handoffs", secret, count)
    return hello, await open_loop("intake", console, signed, rate, 202)


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def print_targets(
    results: Sequence[Result], hello_open: OpenLoop, intake_open: OpenLoop, concurrency: int
) -> None:
    """Issue 17's intake targets, each beside the floor it is measured against in this run."""
    hello, intake = results[1].outcome, results[-1].outcome
    hello_cpu = hello.server_cpu * 1000 / max(hello.count, 1)
    intake_cpu = intake.server_cpu * 1000 / max(intake.count, 1)
    cpu_ratio = intake_cpu / hello_cpu if hello_cpu else float("inf")
    rate_ratio = intake.rate / hello.rate if hello.rate else 0.0
    p99_ratio = intake_open.p99_ms / hello_open.p99_ms if hello_open.p99_ms else float("inf")
    rows = [
        [
            "server CPU per accepted handoff",
            f"{intake_cpu:.2f} ms",
            f"Django hello {hello_cpu:.2f} ms",
            f"{cpu_ratio:.2f}x",
            "<= 3x",
            verdict(cpu_ratio <= 3),
        ],
        [
            f"throughput at {concurrency} in flight",
            f"{intake.rate:.0f}/s",
            f"Django hello {hello.rate:.0f}/s",
            f"{rate_ratio:.2f}",
            ">= 0.33",
            verdict(rate_ratio >= 1 / 3),
        ],
        [
            f"open-loop p99 at {intake_open.rate:.0f}/s",
            f"{intake_open.p99_ms:.1f} ms",
            f"Django hello {hello_open.p99_ms:.1f} ms",
            f"{p99_ratio:.2f}x",
            "<= 3x",
            verdict(p99_ratio <= 3 and intake_open.errors == 0),
        ],
    ]
    print_table(("target", "intake", "floor (same run)", "ratio", "target", ""), rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = standard_arguments(__doc__.splitlines()[0] if __doc__ else "intake benchmark")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, help="timed requests per scenario (2000)")
    parser.add_argument("--seconds", type=float, help="time limit per scenario (20)")
    parser.add_argument("--warmup", type=int, help="untimed requests first (200)")
    parser.add_argument(
        "--rate",
        type=float,
        help="open-loop arrival rate (default: half the closed-loop intake rate of this run)",
    )
    parser.add_argument("--rate-seconds", type=float, help="open-loop duration (60 s)")
    args = parser.parse_args(argv)
    quick = (50, 300, 10.0) if args.quick else (200, 20_000, 60.0)
    rate_seconds = args.rate_seconds or (5.0 if args.quick else 60.0)
    settings = Settings(
        concurrency=args.concurrency,
        warmup=args.warmup if args.warmup is not None else quick[0],
        requests=args.requests if args.requests is not None else quick[1],
        seconds=args.seconds if args.seconds is not None else quick[2],
    )
    stop_on_sigterm()
    skip_sniffio_lookup()

    env = production_env()
    print(f"machine: {machine()}")
    # Other work on the machine takes CPU from both the server and the client.
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(
        f"load: one asyncio httpx client on the same machine, concurrency {settings.concurrency}, "
        f"{settings.warmup} warm-up then {settings.requests} requests or {settings.seconds:.0f} s "
        "per scenario"
    )
    ensure_database(env["DATABASE_URL"])
    manage("migrate", "--noinput", env=env)
    slug, secret = create_platform(env)
    print(f"platform: {slug}")

    with (
        daphne(
            "bench.asgi_hello:application", name="asgi-hello", processes=args.processes
        ) as hello,
        daphne(
            "config.asgi:application", name="console", env=env, processes=args.processes
        ) as console,
    ):
        results, connections = asyncio.run(
            measure(settings, hello, console, slug, secret, env["DATABASE_URL"])
        )
        # Half the rate this run's closed loop sustained: a fixed rate the machine cannot
        # carry would only measure its overload.
        rate = args.rate or max(1.0, results[-1].outcome.rate / 2)
        hello_open, fixed = asyncio.run(
            measure_open_loop(console, slug, secret, rate, rate_seconds)
        )
        logs = {"asgi hello": hello.log_path, "console": console.log_path}

    intake = results[-1]
    accepted = (
        intake.outcome.statuses.count(202) + intake.warmup_statuses[202] + fixed.statuses[202]
    )
    stored = stored_handoffs(env, slug)

    print()
    print_table(HEADERS, [r.row() for r in results])
    print()
    django_hello, intake_rate = results[1].outcome.rate, intake.outcome.rate
    if intake_rate > 0:
        print(
            f"intake costs {django_hello / intake_rate:.1f}x a Django hello "
            f"and {results[0].outcome.rate / intake_rate:.1f}x a bare ASGI hello"
        )
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    sent = intake.outcome.count + intake.warmup_statuses.total()
    print(
        f"PostgreSQL connections opened by the console during intake: {connections} "
        f"for {sent} requests"
    )
    print()
    print_table(
        ("open loop", "requests", "req/s", "p50 ms", "p99 ms", "errors"),
        [hello_open.row(), fixed.row()],
    )
    print()
    print_targets(results, hello_open, fixed, settings.concurrency)
    print(f"stored handoffs: {stored}; 202 answers (all scenarios): {accepted}")
    print("server logs: " + ", ".join(f"{k} {v}" for k, v in logs.items()))

    ok = stored == accepted
    for r in results:
        statuses = Counter(r.outcome.statuses) + r.warmup_statuses
        if r.outcome.errors(r.expected) or set(statuses) - {r.expected}:
            ok = False
            print(f"{r.scenario}: statuses {dict(statuses)}; first error: {r.first_error}")
    for run in (hello_open, fixed):
        if run.errors:
            ok = False
            print(
                f"open loop {run.name}: statuses {dict(run.statuses)}; "
                f"first error: {run.first_error}"
            )
    if stored != accepted:
        print("MISMATCH: the stored handoffs do not equal the 202s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
