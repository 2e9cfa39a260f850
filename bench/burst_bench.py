"""A burst of signed handoffs and the Celery worker that summarizes them, on daphne + PostgreSQL +
Redis, beside the rule engine's own rate measured in the same run.

    uv run --frozen python -m bench.burst_bench [--quick]

5,000 handoffs (500 with --quick) are posted through the signed API to one daphne process, as
fast as it answers at 16 requests in flight, while a real worker (`celery -A config worker -l
warning --concurrency 2`) runs against the same Redis and PostgreSQL. PostgreSQL is polled every
0.5 s for the summaries stored; the figure that matters is the time from the last 202 until every
accepted handoff has one. The worker is always stopped.

The benchmark uses a database of its own (`handoff_bench_burst`), dropped and created again at
each run. Tasks left in Redis by earlier runs of other benchmarks (which post handoffs without a
worker) are drained by the worker before the burst starts: they name cases of other databases and
end as quiet no-ops here.
"""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import redis

from bench.common import (
    ROOT,
    Server,
    closed_loop,
    daphne,
    machine,
    manage,
    percentile,
    print_table,
    production_env,
    recreate_database,
    skip_sniffio_lookup,
    standard_arguments,
    stop_on_sigterm,
)
from bench.intake_bench import create_platform, sign_all

POLL_S = 0.5
TARGET_S = 15.0
CELERY_QUEUE = "celery"


# --- The worker --------------------------------------------------------------------------------


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    node: str
    log_path: Path

    def cpu_seconds(self) -> float:
        """The main process and its pool children, from /proc."""
        pids = [self.process.pid]
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            pids += [int(p) for p in children.read_text().split()]
        total = 0.0
        for pid in pids:
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total


def _celery(*args: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextlib.contextmanager
def celery_worker(env: dict[str, str], concurrency: int = 2) -> Iterator[Worker]:
    """The README's worker command, with a node name of its own so that a ping reaches only it;
    in a session of its own so that stopping it also stops its pool children."""
    node = f"bench-burst-{os.getpid()}@{socket.gethostname()}"
    log_path = Path(tempfile.mkdtemp(prefix="bench-")) / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-l",
                "warning",
                "--concurrency",
                str(concurrency),
                "-n",
                node,
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(process=process, node=node, log_path=log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the worker exited:\n{log_path.read_text()[-3000:]}")
            if (
                _celery(
                    "inspect", "ping", "-d", node, "--timeout", "2", env=env, timeout=30
                ).returncode
                == 0
            ):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not answer a ping within 60 s:\n{log_path}")
        yield worker
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # warm shutdown: finish the tasks in hand
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                # The session this script started for the worker: its main process and children.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


# --- Progress, read straight from PostgreSQL ----------------------------------------------------


@dataclass
class Sample:
    at: float
    handoffs: int
    summarized: int
    ready: int


def progress(conn: psycopg.Connection[tuple[int, ...]]) -> Sample:
    """Cases, cases with a summary of their current transcript, and ready summaries."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM handoff_handoff),"
        " (SELECT count(*) FROM handoff_handoff h WHERE EXISTS (SELECT 1 FROM"
        "  handoff_handoffsummary s WHERE s.handoff_id = h.id"
        "  AND s.transcript_version = h.transcript_version)),"
        " (SELECT count(*) FROM handoff_handoffsummary WHERE status = 'ready')"
    ).fetchone()
    assert row is not None
    return Sample(time.perf_counter(), int(row[0]), int(row[1]), int(row[2]))


# --- The burst ---------------------------------------------------------------------------------


@dataclass
class Burst:
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # ms
    first_sent: float = 0.0
    last_202: float = 0.0
    first_error: str = ""
    samples: list[Sample] = field(default_factory=list)
    server_cpu: float = 0.0
    worker_cpu_during: float = 0.0


async def post_burst(
    console: Server, slug: str, secret: str, count: int, concurrency: int, worker: Worker
) -> Burst:
    burst = Burst()
    path = f"/api/v1/platforms/{slug}/handoffs"
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=console.base_url,
                    limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                    timeout=60,
                )
            )
            for _ in range(concurrency)
        ]

        async def send(worker_number: int, i: int) -> int:
            # Signed just before sending: the console refuses timestamps older than 5 minutes.
            request = sign_all(path, secret, 1)[0]
            try:
                response = await clients[worker_number].post(
                    path, content=request.body, headers=request.headers
                )
            except httpx.HTTPError as exc:
                burst.first_error = burst.first_error or f"{type(exc).__name__}: {exc}"
                return 0
            if response.status_code == 202:
                burst.last_202 = time.perf_counter()
            elif not burst.first_error:
                burst.first_error = f"{response.status_code}: {response.text[:300]}"
            return response.status_code

        burst.first_sent = time.perf_counter()
        worker_cpu = worker.cpu_seconds()
        outcome = await closed_loop(
            send, total=count, concurrency=concurrency, max_seconds=600, server=console
        )
        burst.worker_cpu_during = worker.cpu_seconds() - worker_cpu
    burst.statuses = Counter(outcome.statuses)
    burst.latencies = [x * 1000 for x in outcome.latencies]
    burst.server_cpu = outcome.server_cpu
    return burst


async def poll_until_done(
    database_url: str, expected: int, limit: float, samples: list[Sample], stop: asyncio.Event
) -> None:
    """Every POLL_S until `stop` is set and every expected case has its summary, or `limit`
    seconds after `stop` was set."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        stopped_at: float | None = None
        while True:
            sample = await asyncio.to_thread(progress, conn)
            samples.append(sample)
            if stop.is_set():
                stopped_at = stopped_at or sample.at
                if sample.summarized >= expected or sample.at - stopped_at > limit:
                    return
            await asyncio.sleep(POLL_S)


def engine_baseline(runs: int) -> tuple[float, float]:
    """The rule engine alone, in this process, on the sample handoff's transcript: summaries per
    second on one core and p99 ms. Two worker children cannot exceed twice this."""
    from handoff.demo.sample import sample_handoff
    from handoff.summary.engine import RuleEngine
    from handoff.summary.types import TranscriptLine

    transcript = [
        TranscriptLine(role=m["role"], text=m["text"])
        for m in sample_handoff(level="high")["transcript"]
    ]
    engine = RuleEngine()
    engine.summarize(transcript=transcript)
    times = []
    started = time.perf_counter()
    for _ in range(runs):
        began = time.perf_counter()
        engine.summarize(transcript=transcript, platform_level="high", platform_score=0.9)
        times.append((time.perf_counter() - began) * 1000)
    return runs / (time.perf_counter() - started), percentile(times, 99)


def bench_env() -> dict[str, str]:
    env = production_env()
    parts = urlsplit(env["DATABASE_URL"])
    # Beside the intake benchmark's database: handoff_bench_burst unless BENCH_DATABASE_URL names
    # another, so runs against different databases never drop each other's.
    env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"{parts.path}_burst"))
    env["CHANNEL_PREFIX"] = f"benchb{os.getpid()}"
    return env


def drain(env: dict[str, str], limit: float) -> tuple[int, float]:
    """Wait (bounded) until the worker emptied the task queue; returns what was there and the
    time it took."""
    client = redis.Redis.from_url(env["REDIS_URL"])
    before = int(client.llen(CELERY_QUEUE))
    started = time.perf_counter()
    while time.perf_counter() - started < limit and int(client.llen(CELERY_QUEUE)) > 0:
        time.sleep(0.5)
    client.close()
    return before, time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = standard_arguments(__doc__.splitlines()[0] if __doc__ else "burst benchmark")
    parser.add_argument("--handoffs", type=int, help="handoffs in the burst (5000)")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    count = args.handoffs or (500 if args.quick else 5000)
    stop_on_sigterm()
    skip_sniffio_lookup()

    env = bench_env()
    print(f"machine: {machine()}")
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    rate, p99 = engine_baseline(200 if args.quick else 1000)
    recreate_database(env["DATABASE_URL"])
    manage("migrate", "--noinput", env=env)
    slug, secret = create_platform(env)
    print(f"platform {slug}; {count:,} handoffs at {args.concurrency} in flight", flush=True)

    ok = True
    with (
        daphne("config.asgi:application", name="console", env=env) as console,
        celery_worker(env) as worker,
    ):
        leftover, drained_s = drain(env, limit=300)
        print(
            f"tasks left in Redis by earlier runs, drained first: {leftover:,} in {drained_s:.1f} s"
        )

        async def run() -> Burst:
            stop = asyncio.Event()
            samples: list[Sample] = []
            poller = asyncio.create_task(
                poll_until_done(env["DATABASE_URL"], count, 600, samples, stop)
            )
            try:
                burst = await post_burst(console, slug, secret, count, args.concurrency, worker)
            finally:
                stop.set()
            await poller
            burst.samples = samples
            return burst

        burst = asyncio.run(run())
        worker_log = worker.log_path
        console_log = console.log_path

    accepted = burst.statuses[202]
    samples = burst.samples
    at_last = max((s for s in samples if s.at <= burst.last_202), key=lambda s: s.at, default=None)
    done = next((s for s in samples if s.summarized >= accepted and s.at >= burst.last_202), None)
    posting_s = burst.last_202 - burst.first_sent
    after_s = (done.at - burst.last_202) if done else float("nan")
    total_s = (done.at - burst.first_sent) if done else float("nan")
    summarized = samples[-1].summarized if samples else 0
    backlog = accepted - (at_last.summarized if at_last else 0)
    print()
    print_table(
        ("what", "count", "seconds", "per second", "p50 ms", "p99 ms"),
        [
            [
                "rule engine alone, one core (baseline)",
                "-",
                "-",
                f"{rate:,.0f}",
                "-",
                f"{p99:.2f}",
            ],
            [
                "handoffs accepted (202), one daphne",
                f"{accepted:,}",
                f"{posting_s:.1f}",
                f"{accepted / posting_s:,.0f}" if posting_s > 0 else "-",
                f"{percentile(burst.latencies, 50):.0f}",
                f"{percentile(burst.latencies, 99):.0f}",
            ],
            [
                "summarized during the posting",
                f"{accepted - backlog:,}",
                f"{posting_s:.1f}",
                f"{(accepted - backlog) / posting_s:,.0f}" if posting_s > 0 else "-",
                "-",
                "-",
            ],
            [
                "summarized after the last 202",
                f"{backlog:,}",
                f"{after_s:.1f}",
                f"{backlog / after_s:,.0f}" if after_s > 0 else "-",
                "-",
                "-",
            ],
            [
                "all summarized, from the first POST",
                f"{summarized:,}",
                f"{total_s:.1f}",
                f"{summarized / total_s:,.0f}" if total_s > 0 else "-",
                "-",
                "-",
            ],
        ],
    )
    met = done is not None and after_s <= TARGET_S
    print(
        f"\nlast 202 -> every accepted handoff summarized: {after_s:.1f} s "
        f"(target <= {TARGET_S:.0f} s: {'met' if met else 'MISSED'}); polled every {POLL_S} s, "
        "so figures are late by up to that"
    )
    per_request = max(sum(burst.statuses.values()), 1)
    print(
        f"console CPU {burst.server_cpu * 1000 / per_request:.1f} ms per request; worker CPU "
        f"during the posting {burst.worker_cpu_during:.1f} s"
    )
    print(
        f"statuses {dict(burst.statuses)}; ready summaries {samples[-1].ready if samples else 0:,}"
    )
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"logs: console {console_log}, worker {worker_log}")
    if accepted != count or burst.first_error:
        ok = False
        print(f"ERRORS: {count - accepted} not accepted; first: {burst.first_error}")
    if done is None:
        ok = False
        print(f"NOT ALL SUMMARIZED: {summarized:,} of {accepted:,} after the time limit")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
