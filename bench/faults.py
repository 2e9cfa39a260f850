"""Fault drills, as an operator meets them (`make faults`, scripts/faults.sh).

The drill builds everything it breaks: a PostgreSQL database of its own on the local server, a
Redis of its own on a spare port, and the production layout of `make serve` (ops/serve.py:
nginx, two daphne processes, a Celery worker and beat under the supervisor). Then, one after
the other:

1. callbacks: the platform's callback endpoint is down for an hour of the console's clock,
   which runs 30 times faster for it (bench/clock/sitecustomize.py); it runs first, and the
   console's clock stays that far ahead for the rest;
2. worker: the Celery worker is SIGKILLed while it builds summaries;
3. redis: Redis stops for 10 s under steady intake with 100 dashboards open;
4. postgres: the database refuses every connection for 15 s (ALLOW_CONNECTIONS false and the
   open sessions terminated) under steady intake;
5. daphne: one of the two daphne processes is SIGKILLed with 200 dashboards open.

Each drill checks what the issue asks and prints its figures; everything started is stopped and
the database dropped at the end, whatever happened. With --write the results replace the part
of docs/operations.md between its faults markers. Exit status 1 when a check fails.

Clients behave as the console's own would: a dashboard is a websocket client that follows
static/console/queue.js (snapshot, updates by sequence number and version, resync on a gap or a
heartbeat ahead of it, "updates delayed", reconnect with the same backoff), and a platform
retries a 503 after its Retry-After with the same webhook-id.
"""

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
from standardwebhooks import Webhook
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from bench.common import (
    BENCH_ENCRYPTION_KEYS,
    BENCH_SECRET_KEY,
    ROOT,
    machine,
    manage,
    raise_open_files,
    recreate_database,
    run_setup,
    skip_sniffio_lookup,
    stop_on_sigterm,
)
from handoff.demo.sample import sample_handoff

REPORT = ROOT / "docs" / "operations.md"
BEGIN, END = "<!-- faults:begin -->", "<!-- faults:end -->"
CLOCK_DIR = ROOT / "bench" / "clock"
# The callback drill first: its hour of the console's clock ages every waiting case, and the
# cases the other drills leave waiting would bury the callback sends under that aging
# (docs/operations.md, what the drills found).
DRILLS = ("callbacks", "worker", "redis", "postgres", "daphne")

WEB_PROCESSES = 2
WORKER_CONCURRENCY = 2
# What the console's settings default to, read the same way (the drill does not load Django).
VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT") or 30)
QUEUE_LIMIT = 50  # QUEUE_DISPLAY_LIMIT's default

ROW_RE = re.compile(
    r'data-id="([0-9a-f-]{36})" data-version="(\d+)" data-rank="(-?\d+)"\s+data-queued-at="([^"]*)"'
)


# --- Results ---------------------------------------------------------------------------------


@dataclass
class Check:
    what: str
    passed: bool
    detail: str


@dataclass
class Drill:
    name: str
    title: str
    checks: list[Check] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)

    def check(self, what: str, passed: bool, detail: str) -> None:
        self.checks.append(Check(what, bool(passed), detail))
        print(f"  [{'pass' if passed else 'FAIL'}] {what}: {detail}", flush=True)

    def figure(self, text: str) -> None:
        self.figures.append(text)
        print(f"  {text}", flush=True)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)


def since(start: float) -> float:
    return time.monotonic() - start


# --- Ports, processes ------------------------------------------------------------------------


def pick_ports(count: int, port_range: tuple[int, int] | None) -> list[int]:
    """`count` ports nothing listens on: from the range when given, else chosen by the kernel."""
    found: list[int] = []
    candidates = range(port_range[0], port_range[1] + 1) if port_range else [0] * count * 4
    for candidate in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port = probe.getsockname()[1]
        if port not in found:
            found.append(port)
        if len(found) == count:
            return found
    raise RuntimeError(f"not {count} free ports in {port_range}")


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.05)


class RedisServer:
    """A Redis of the drill's own, keeping nothing on disk, stopped and started on one port."""

    def __init__(self, port: int, log_dir: Path) -> None:
        self.port = port
        self.log = log_dir / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None
        binary = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.binary = binary

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _answers(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), 1) as s,
        ):
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
        return False

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *(self.binary, "--port", str(self.port), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no", "--maxclients", "10000"),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(self._answers, timeout=20, what="redis answering")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None


class LayoutProcess:
    """`python -m ops.serve`, its output in a file the drill reads for the supervisor's lines."""

    def __init__(self, env: dict[str, str], log_dir: Path, port: int) -> None:
        self.env = env
        self.log = log_dir / "layout.log"
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        self.run_dir: Path | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def pids(self, name: str) -> list[int]:
        return [int(p) for p in re.findall(rf"started {name} \(pid (\d+)\)", self.text())]

    def pid(self, name: str) -> int:
        return self.pids(name)[-1]

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ops.serve"],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def found_run_dir() -> bool:
            match = re.search(r"run directory (\S+)", self.text())
            if match:
                self.run_dir = Path(match.group(1))
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the layout exited:\n{self.text()[-3000:]}")
            return match is not None

        wait_for(found_run_dir, timeout=60, what="the layout starting")
        self.wait_web_ready(timeout=240)

    def sockets_accepting(self) -> bool:
        assert self.run_dir is not None
        for n in range(1, WEB_PROCESSES + 1):
            with socket.socket(socket.AF_UNIX) as probe:
                try:
                    probe.connect(str(self.run_dir / f"web-{n}.sock"))
                except OSError:
                    return False
        return True

    def wait_web_ready(self, timeout: float) -> None:
        wait_for(self.sockets_accepting, timeout=timeout, what="every daphne listening")

        def ready() -> bool:
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(f"{self.base}/readyz", timeout=5).status_code == 200
            return False

        wait_for(ready, timeout=timeout, what="/readyz 200 through the proxy")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None


def _psql(url: str, sql: str) -> str:
    parts = urlsplit(url)
    result = subprocess.run(
        [
            *("psql", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)),
            *("-U", parts.username or "postgres", "-d", "postgres", "-tAc", sql),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def database_cut(url: str, name: str, *, cut: bool) -> None:
    """PostgreSQL unreachable for the console: its database refuses new connections and its
    open sessions are ended; or the reverse."""
    if cut:
        _psql(url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        _psql(
            url,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "  # noqa: S608 - the drill's own name
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()",
        )
    else:
        _psql(url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


# --- The platform's side: intake, and the callback endpoint ----------------------------------


@dataclass
class Handoff:
    """One handoff a platform wants the console to take, retried after a 503 with the same
    webhook-id and body until it is accepted."""

    body: bytes
    msg_id: str = field(default_factory=lambda: f"msg_{uuid.uuid4().hex}")
    statuses: list[int] = field(default_factory=list)
    missing_retry_after: int = 0
    errors: list[str] = field(default_factory=list)
    case_id: str | None = None
    sent_at: float = 0.0
    accepted_at: float | None = None


class Platform:
    def __init__(self, base: str, slug: str, secret: str) -> None:
        self.path = f"{base}/api/v1/platforms/{slug}/handoffs"
        self.webhook = Webhook(secret)
        self.handoffs: list[Handoff] = []

    def new(self, level: str = "high") -> Handoff:
        handoff = Handoff(body=json.dumps(sample_handoff(level=level)).encode())
        self.handoffs.append(handoff)
        return handoff

    async def send(self, client: httpx.AsyncClient, handoff: Handoff) -> int:
        now = datetime.now(tz=UTC)
        headers = {
            "webhook-id": handoff.msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self.webhook.sign(handoff.msg_id, now, handoff.body.decode()),
            "content-type": "application/json",
        }
        if not handoff.sent_at:
            handoff.sent_at = time.monotonic()
        try:
            response = await client.post(self.path, content=handoff.body, headers=headers)
        except httpx.HTTPError as exc:
            handoff.statuses.append(0)
            handoff.errors.append(type(exc).__name__)
            return 0
        handoff.statuses.append(response.status_code)
        if response.status_code == 202:
            handoff.case_id = str(response.json()["id"])
            handoff.accepted_at = time.monotonic()
        elif response.status_code == 503 and "retry-after" not in response.headers:
            handoff.missing_retry_after += 1
        return response.status_code

    async def deliver(self, client: httpx.AsyncClient, handoff: Handoff, give_up: float) -> None:
        """As a platform does: retry after a 503 (Retry-After) or a transport error."""
        while True:
            status = await self.send(client, handoff)
            if status not in (0, 503) or time.monotonic() > give_up:
                return
            await asyncio.sleep(5 if status == 503 else 1)

    async def steady(
        self, client: httpx.AsyncClient, rate: float, stop: asyncio.Event, give_up_after: float
    ) -> list[Handoff]:
        """New handoffs at `rate` a second until `stop`; each retried until accepted. Returns
        them once every one has an answer it keeps."""
        sent: list[Handoff] = []
        tasks: list[asyncio.Task[None]] = []
        levels = ["imminent", "high", "moderate", "low"]
        while not stop.is_set():
            handoff = self.new(levels[len(sent) % 4])
            sent.append(handoff)
            deadline = time.monotonic() + give_up_after
            tasks.append(asyncio.create_task(self.deliver(client, handoff, deadline)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1 / rate)
        await asyncio.gather(*tasks)
        return sent


def intake_checks(drill: Drill, handoffs: Sequence[Handoff], stored: dict[str, int]) -> None:
    """Only 202, or 503 with Retry-After; every 202 stored once; nothing lost in the end."""
    statuses = Counter(s for h in handoffs for s in h.statuses)
    others = {s: n for s, n in statuses.items() if s not in (202, 503)}
    drill.check(
        "intake answers only 202 or 503",
        not others,
        f"answers {dict(sorted(statuses.items()))} to {len(handoffs)} handoffs",
    )
    missing_ra = sum(h.missing_retry_after for h in handoffs)
    drill.check("every 503 carries Retry-After", missing_ra == 0, f"{missing_ra} without it")
    accepted = [h for h in handoffs if h.case_id]
    not_stored = [h.case_id for h in accepted if stored.get(str(h.case_id), 0) != 1]
    drill.check(
        "every 202 is a stored case, stored once",
        not not_stored,
        f"{len(accepted)} accepted, {len(accepted) - len(not_stored)} found once in PostgreSQL",
    )
    drill.check(
        "nothing lost: every handoff accepted in the end (platform retries)",
        len(accepted) == len(handoffs),
        f"{len(accepted)} of {len(handoffs)}",
    )


class Receiver:
    """The platform's callback endpoint: verifies every signature; while down answers 503,
    while up 204 and keeps what it got."""

    def __init__(self, port: int, secret: str) -> None:
        self.up = True
        self.failed = 0  # attempts refused while down
        self.bad_signatures = 0
        self.delivered: Counter[str] = Counter()  # webhook-id -> 2xx answers
        self.first_delivery: dict[str, float] = {}
        webhook = Webhook(secret)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                try:
                    webhook.verify(body, {k.lower(): v for k, v in self.headers.items()})
                except Exception:
                    receiver.bad_signatures += 1
                    self._answer(401)
                    return
                if not receiver.up:
                    receiver.failed += 1
                    self._answer(503)
                    return
                msg_id = self.headers["webhook-id"]
                receiver.delivered[msg_id] += 1
                receiver.first_delivery.setdefault(msg_id, time.monotonic())
                self._answer(204)

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{port}/callbacks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- Dashboards, as static/console/queue.js keeps them ---------------------------------------


@dataclass
class Row:
    version: int
    rank: int
    queued_at: datetime


class QueueView:
    """What a dashboard shows: the rows it drew and the waiting count, kept as queue.js keeps
    them (an update older than what is drawn is dropped; a gap asks for a snapshot)."""

    def __init__(self) -> None:
        self.rows: dict[str, Row] = {}
        self.removed: dict[str, int] = {}
        self.seq: int | None = None
        self.waiting = 0
        self.live = False  # a snapshot drawn and no "updates delayed" since
        self.resync_pending = False

    @staticmethod
    def _parse(html: str) -> dict[str, Row]:
        return {
            m.group(1): Row(int(m.group(2)), int(m.group(3)), datetime.fromisoformat(m.group(4)))
            for m in ROW_RE.finditer(html)
        }

    def drawn(self) -> dict[str, int]:
        order = sorted(self.rows.items(), key=lambda kv: (-kv[1].rank, kv[1].queued_at, kv[0]))
        return {pk: row.version for pk, row in order[:QUEUE_LIMIT]}

    def snapshot(self, msg: dict[str, Any]) -> None:
        self.seq = msg["seq"]
        self.waiting = msg["waiting"]
        self.rows = self._parse(msg["rows_html"])
        self.removed = {}
        self.resync_pending = False
        self.live = True

    def update(self, msg: dict[str, Any]) -> bool:
        """Apply an update; True when the page would now ask for a snapshot."""
        if self.seq is not None and msg["seq"] <= self.seq:
            return False
        gap = self.seq is not None and msg["seq"] > self.seq + 1
        self.seq = msg["seq"]
        self.waiting = msg["waiting"]
        pk, version = msg["id"], msg["version"]
        current = self.rows.get(pk)
        newest = current.version if current is not None else self.removed.get(pk)
        if newest is None or version > newest:
            if msg["op"] == "remove":
                self.rows.pop(pk, None)
                self.removed[pk] = version
            else:
                self.removed.pop(pk, None)
                self.rows.update(self._parse(msg["html"]))
        drawn = len(self.drawn())
        self.rows = {pk: self.rows[pk] for pk in self.drawn()}
        return gap or drawn < min(QUEUE_LIMIT, self.waiting)


class Dashboard:
    """One counselor's open dashboard: connects, reconnects with queue.js's backoff, beats."""

    HEARTBEAT_S = 20.0
    SEQ_GRACE_S = 3.0

    def __init__(self, base: str, cookie: str) -> None:
        self.url = base.replace("http://", "ws://") + "/ws/queue/"
        self.headers = {"Cookie": f"sessionid={cookie}", "Origin": base}
        self.view = QueueView()
        self.ws: ClientConnection | None = None
        self.connects = 0
        self.drops: list[float] = []  # when the connection was lost (monotonic)
        self.refused: int | None = None
        self.reopened_at = 0.0  # the first snapshot after the last lost connection
        self.task: asyncio.Task[None] | None = None

    @property
    def open(self) -> bool:
        return self.ws is not None

    def start(self, stop: asyncio.Event) -> None:
        self.task = asyncio.create_task(self._run(stop))

    async def _run(self, stop: asyncio.Event) -> None:
        attempt = 0
        while not stop.is_set():
            code: int | None = None
            try:
                async with connect(
                    self.url,
                    additional_headers=self.headers,
                    open_timeout=30,
                    ping_interval=None,  # a browser does not ping; daphne does
                    max_size=2**24,
                ) as ws:
                    self.ws, attempt = ws, 0
                    self.connects += 1
                    helpers = [
                        asyncio.create_task(self._beat(ws)),
                        asyncio.create_task(self._close_on(stop, ws)),
                    ]
                    try:
                        async for raw in ws:
                            await self._on(ws, json.loads(raw))
                    finally:
                        for helper in helpers:
                            helper.cancel()
                    code = ws.close_code
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError):
                pass
            if self.ws is not None:
                self.drops.append(time.monotonic())
            self.ws = None
            self.view.live = False
            self.view.resync_pending = False
            if code in (4401, 4403):
                self.refused = code
                return
            attempt += 1
            delay = min(30.0, 0.5 * 2**attempt) * (0.5 + random.random() / 2)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)

    @staticmethod
    async def _close_on(stop: asyncio.Event, ws: ClientConnection) -> None:
        await stop.wait()
        await ws.close()

    async def _resync(self, ws: ClientConnection) -> None:
        if not self.view.resync_pending:
            self.view.resync_pending = True
            with contextlib.suppress(ConnectionClosed):
                await ws.send(json.dumps({"type": "resync"}))

    async def _on(self, ws: ClientConnection, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if kind == "queue.snapshot":
            if not self.view.live and self.drops:
                self.reopened_at = time.monotonic()
            self.view.snapshot(msg)
        elif kind == "queue.update":
            if self.view.update(msg):
                await self._resync(ws)
        elif kind == "updates.delayed":
            self.view.live = False
            self.view.resync_pending = False
        elif kind == "heartbeat.ack" and isinstance(msg.get("seq"), int):
            seq, last = msg["seq"], self.view.seq
            if not self.view.live or (last is not None and seq < last):
                await self._resync(ws)
            elif last is not None and seq > last:
                asyncio.get_running_loop().call_later(
                    self.SEQ_GRACE_S, lambda: asyncio.ensure_future(self._late(ws, seq))
                )

    async def _late(self, ws: ClientConnection, seq: int) -> None:
        if self.ws is ws and self.view.seq is not None and self.view.seq < seq:
            await self._resync(ws)

    async def _beat(self, ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(self.HEARTBEAT_S)
                await ws.send(json.dumps({"type": "heartbeat"}))


@dataclass
class Truth:
    waiting: int
    drawn: dict[str, int]


class Database:
    """The drill's own reads of what PostgreSQL holds (the truth every screen must show)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: psycopg.Connection[Any] | None = None

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, connect_timeout=5, autocommit=True) as conn:
            return list(conn.execute(sql, params).fetchall())

    def truth(self) -> Truth:
        """The waiting count and the drawn rows, read together; one connection kept for the
        polls (opened again after a database outage)."""
        for attempt in (1, 2):
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.connect(self.url, connect_timeout=5, autocommit=True)
            try:
                return self._truth(self._conn)
            except psycopg.OperationalError:
                self._conn.close()  # ended by the PostgreSQL drill: a new one, once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _truth(self, conn: "psycopg.Connection[Any]") -> Truth:
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            rows = conn.execute(
                "SELECT id::text, version FROM handoff_handoff WHERE status = 'queued' "
                "ORDER BY tier_rank DESC, queued_at, id LIMIT %s",
                (QUEUE_LIMIT,),
            ).fetchall()
            (waiting,) = conn.execute(
                "SELECT count(*) FROM handoff_handoff WHERE status = 'queued'"
            ).fetchone() or (0,)
        return Truth(int(waiting), {pk: int(v) for pk, v in rows})

    def stored(self, case_ids: Sequence[str | None]) -> dict[str, int]:
        ids = [c for c in case_ids if c]
        rows = self._rows(
            "SELECT id::text, count(*) FROM handoff_handoff WHERE id::text = ANY(%s) GROUP BY id",
            (ids,),
        )
        return {pk: int(n) for pk, n in rows}

    def summarized(self, case_ids: Sequence[str]) -> int:
        rows = self._rows(
            "SELECT count(*) FROM handoff_handoff WHERE id::text = ANY(%s) "
            "AND summarized_version >= transcript_version",
            (list(case_ids),),
        )
        return int(rows[0][0])


def why_not(dashboard: Dashboard, truth: Truth) -> str | None:
    """None when the dashboard shows what PostgreSQL holds; otherwise what differs."""
    view = dashboard.view
    if not dashboard.open:
        return "socket closed"
    if not view.live:
        return "no snapshot since the socket opened, or updates delayed"
    if view.waiting != truth.waiting:
        return "waiting count"
    drawn = view.drawn()
    if drawn.keys() != truth.drawn.keys():
        return "rows"
    if drawn != truth.drawn:
        return "row versions"
    return None


@dataclass
class Convergence:
    when: float | None  # seconds from the start when every dashboard was true at once
    first: dict[int, float]  # when each one was first true
    stragglers: Counter[str]  # what differed, at the last poll before all were true

    def describe(self) -> str:
        if not self.stragglers:
            return ""
        reasons = ", ".join(f"{n} {why}" for why, n in self.stragglers.most_common())
        return f"; at the last poll before that: {reasons}"


async def until_all_true(
    db: Database,
    dashboards: Sequence[Dashboard],
    start: float,
    limit: float,
    settled: Callable[[], bool] = lambda: True,
) -> Convergence:
    """Poll until every dashboard shows what PostgreSQL holds (see Convergence). Only a poll
    after `settled()` (the changes a drill makes meanwhile are in) can end it."""
    result = Convergence(None, {}, Counter())
    while since(start) < limit:
        done = settled()
        truth = await asyncio.to_thread(db.truth)
        now = since(start)
        reasons: Counter[str] = Counter()
        for i, d in enumerate(dashboards):
            why = why_not(d, truth)
            if why is None:
                result.first.setdefault(i, now)
            else:
                reasons[why] += 1
        if done and not reasons:
            result.when = now
            return result
        result.stragglers = reasons
        await asyncio.sleep(0.5)
    return result


async def open_dashboards(
    base: str, cookies: Sequence[str], stop: asyncio.Event, db: Database
) -> list[Dashboard]:
    """Open dashboards, 20 at a time as a shift would arrive, and wait until all are true."""
    dashboards = []
    for offset in range(0, len(cookies), 20):
        batch = [Dashboard(base, c) for c in cookies[offset : offset + 20]]
        for d in batch:
            d.start(stop)
        dashboards += batch
        started = time.monotonic()
        while not all(d.view.live for d in batch) and since(started) < 60:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    opened = await until_all_true(db, dashboards, time.monotonic(), 60)
    if opened.when is None:
        raise RuntimeError(
            "the dashboards did not all show the queue after opening" + opened.describe()
        )
    return dashboards


# --- The drills ------------------------------------------------------------------------------


@dataclass
class Context:
    layout: LayoutProcess
    redis: RedisServer
    db: Database
    admin_url: str
    database: str
    platform: Platform
    receiver: Receiver
    cookies: list[str]
    clock_file: Path
    env: dict[str, str] = field(default_factory=dict)
    stop_dashboards: asyncio.Event = field(default_factory=asyncio.Event)
    dashboards: list[Dashboard] = field(default_factory=list)
    waiting_for_summaries: list[str] = field(default_factory=list)


def client(ctx: Context, **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=32), **kwargs)


async def drill_worker(ctx: Context) -> Drill:
    drill = Drill("worker", "A Celery worker killed with SIGKILL in the middle of summaries")
    count = 300
    worker = ctx.layout.pid("worker")
    os.killpg(worker, signal.SIGSTOP)  # held, so that a backlog is waiting when it runs
    try:
        # Low: their target (15 min) does not pass during the drills, so their aging does not
        # flood the dashboards of the next ones.
        handoffs = [ctx.platform.new("low") for _ in range(count)]
        async with client(ctx) as http:
            gate = asyncio.Semaphore(16)

            async def post(h: Handoff) -> None:
                async with gate:
                    await ctx.platform.deliver(http, h, time.monotonic() + 60)

            await asyncio.gather(*(post(h) for h in handoffs))
    finally:
        os.killpg(worker, signal.SIGCONT)
    ids = [str(h.case_id) for h in handoffs if h.case_id]
    drill.check("the backlog was accepted", len(ids) == count, f"{len(ids)} of {count} (202)")
    resumed = time.monotonic()
    while (done := await asyncio.to_thread(ctx.db.summarized, ids)) == 0:
        if since(resumed) > 60:
            break
        await asyncio.sleep(0.01)
    os.killpg(worker, signal.SIGKILL)  # the worker and its pool children, mid-batch
    killed = time.monotonic()
    drill.figure(
        f"{count} handoffs waiting; worker resumed, killed {killed - resumed:.2f} s later with "
        f"{done} summarized"
    )
    deadline = VISIBILITY_TIMEOUT + 5
    while (done := await asyncio.to_thread(ctx.db.summarized, ids)) < len(ids):
        if since(killed) > deadline + 90:
            break
        await asyncio.sleep(0.2)
    took = since(killed)
    drill.figure(f"all {done} summarized {took:.1f} s after the kill")
    drill.check(
        f"every summary built within the visibility timeout plus 5 s ({deadline} s)",
        done == len(ids) and took <= deadline,
        f"{done} of {len(ids)} after {took:.1f} s",
    )
    rows = await asyncio.to_thread(
        ctx.db._rows,
        "SELECT h.id::text, (SELECT count(*) FROM handoff_handoffsummary s WHERE s.handoff_id"
        " = h.id), (SELECT count(*) FROM handoff_handoffevent e WHERE e.handoff_id = h.id AND"
        " e.kind = 'summary_ready') FROM handoff_handoff h WHERE h.id::text = ANY(%s)",
        (ids,),
    )
    twice = [pk for pk, summaries, events in rows if summaries != 1 or events != 1]
    drill.check(
        "each summary built exactly once",
        not twice and len(rows) == len(ids),
        f"{len(rows) - len(twice)} cases with one summary and one 'summary ready' event, "
        f"{len(twice)} otherwise",
    )
    restarted = [p for p in ctx.layout.pids("worker") if p != worker]
    drill.check("the supervisor started a new worker", bool(restarted), f"new pid {restarted}")
    return drill


async def drill_redis(ctx: Context) -> Drill:
    drill = Drill("redis", "Redis shut down for 10 s under steady intake and 100 dashboards")
    ctx.dashboards = await open_dashboards(
        ctx.layout.base, ctx.cookies[:100], ctx.stop_dashboards, ctx.db
    )
    drill.figure(f"{len(ctx.dashboards)} dashboards open and true")
    stop = asyncio.Event()
    async with client(ctx) as http:
        intake = asyncio.create_task(ctx.platform.steady(http, 3.0, stop, give_up_after=120))
        await asyncio.sleep(3)
        await asyncio.to_thread(ctx.redis.stop)
        down = time.monotonic()
        await asyncio.sleep(10)
        await asyncio.to_thread(ctx.redis.start)
        up = time.monotonic()
        drill.figure(f"Redis down for {up - down:.1f} s, intake at 3 handoffs/s throughout")
        await asyncio.sleep(2)
        stop.set()
        handoffs = await intake
    quiet = since(up)
    back = await until_all_true(ctx.db, ctx.dashboards, up, 60)
    when, first = back.when, back.first
    stored = await asyncio.to_thread(ctx.db.stored, [h.case_id for h in handoffs])
    intake_checks(drill, handoffs, stored)
    ctx.waiting_for_summaries += [str(h.case_id) for h in handoffs if h.case_id]
    during = [h for h in handoffs if h.sent_at and down <= h.sent_at <= up]
    drill.figure(
        f"{len(during)} handoffs sent while Redis was down: answers "
        f"{dict(Counter(s for h in during for s in h.statuses))}"
    )
    slowest = max(first.values()) if first else float("nan")
    drill.check(
        "every dashboard true within 10 s of Redis returning",
        when is not None and when <= 10,
        f"all {len(ctx.dashboards)} true {when:.1f} s after its return (intake ended "
        f"{quiet:.1f} s after it; slowest first match {slowest:.1f} s){back.describe()}"
        if when is not None
        else f"{len(first)} of {len(ctx.dashboards)} true within 60 s{back.describe()}",
    )
    drops = sum(1 for d in ctx.dashboards if d.drops)
    drill.figure(f"dashboards whose socket was closed meanwhile: {drops}")
    return drill


async def drill_postgres(ctx: Context) -> Drill:
    drill = Drill("postgres", "PostgreSQL unreachable for 15 s under steady intake")
    stop = asyncio.Event()
    readyz: list[tuple[float, int]] = []
    cut_at: float = 0.0
    restored_at: float = 0.0
    async with client(ctx) as http:

        async def watch_readyz() -> None:
            while not stop.is_set():
                with contextlib.suppress(httpx.HTTPError):
                    response = await http.get(f"{ctx.layout.base}/readyz", timeout=10)
                    readyz.append((time.monotonic(), response.status_code))
                await asyncio.sleep(0.25)

        watcher = asyncio.create_task(watch_readyz())
        intake = asyncio.create_task(ctx.platform.steady(http, 3.0, stop, give_up_after=120))
        await asyncio.sleep(3)
        await asyncio.to_thread(database_cut, ctx.admin_url, ctx.database, cut=True)
        cut_at = time.monotonic()
        await asyncio.sleep(15)
        await asyncio.to_thread(database_cut, ctx.admin_url, ctx.database, cut=False)
        restored_at = time.monotonic()
        while since(restored_at) < 30 and not any(  # noqa: ASYNC110 - the watcher fills readyz
            at > restored_at and status == 200 for at, status in readyz
        ):
            await asyncio.sleep(0.1)
        await asyncio.sleep(3)
        stop.set()
        handoffs = await intake
        await watcher
    stored = await asyncio.to_thread(ctx.db.stored, [h.case_id for h in handoffs])
    intake_checks(drill, handoffs, stored)
    ctx.waiting_for_summaries += [str(h.case_id) for h in handoffs if h.case_id]
    refused = sum(1 for h in handoffs for s in h.statuses if s == 503)
    drill.check("the outage was felt: intake answered 503", refused > 0, f"{refused} answers 503")
    during = [s for at, s in readyz if cut_at + 4 <= at <= restored_at]
    drill.check(
        "/readyz answers 503 while PostgreSQL is unreachable",
        bool(during) and set(during) == {503},
        f"{during.count(503)} of {len(during)} polls from 4 s after the cut to the restore "
        "answered 503",
    )
    back = next((at for at, s in readyz if at > restored_at and s == 200), None)
    accepted_after = [
        h.accepted_at for h in handoffs if h.accepted_at and h.accepted_at > restored_at
    ]
    drill.check(
        "recovers by itself: /readyz 200 again",
        back is not None and back - restored_at <= 10,
        f"{back - restored_at:.1f} s after connections were allowed again"
        if back is not None
        else "not within 30 s",
    )
    if accepted_after:
        drill.figure(
            f"first 202 after the outage {min(accepted_after) - restored_at:.1f} s after the "
            f"restore; retried handoffs all accepted {max(accepted_after) - restored_at:.1f} s "
            "after it"
        )
    before = sum(1 for h in handoffs if h.sent_at and h.sent_at < cut_at)
    drill.figure(f"{len(handoffs)} handoffs in all ({before} sent before the cut)")
    restarts = {name: len(ctx.layout.pids(name)) - 1 for name in ("worker", "beat")}
    drill.figure(
        "restarts by the supervisor so far in this run (the worker drill kills one): "
        + ", ".join(f"{name} {count}" for name, count in restarts.items())
    )
    return drill


async def drill_daphne(ctx: Context) -> Drill:
    drill = Drill("daphne", "One of the daphne processes killed with 200 dashboards open")
    opened = len(ctx.dashboards)  # those of the Redis drill, when it ran
    more = await open_dashboards(
        ctx.layout.base, ctx.cookies[opened:200], ctx.stop_dashboards, ctx.db
    )
    dashboards = ctx.dashboards = ctx.dashboards + more
    before = await until_all_true(ctx.db, dashboards, time.monotonic(), 60)
    drill.check(
        "200 dashboards open and true before the kill",
        before.when is not None and len(dashboards) == 200,
        f"{len(dashboards)} dashboards",
    )
    victim = ctx.layout.pid("web-1")
    dropped_before = {id(d): len(d.drops) for d in dashboards}
    os.kill(victim, signal.SIGKILL)
    killed = time.monotonic()
    async with client(ctx) as http:
        # Two new cases while the pages reconnect: every dashboard must show them too.
        posted = [ctx.platform.new("imminent"), ctx.platform.new("high")]
        posting = asyncio.gather(
            *(ctx.platform.deliver(http, h, time.monotonic() + 30) for h in posted)
        )
        back = await until_all_true(ctx.db, dashboards, killed, 60, posting.done)
        await posting
    when, first = back.when, back.first
    drill.check(
        "intake through the proxy meanwhile",
        all(h.case_id for h in posted),
        f"answers {[h.statuses for h in posted]}, accepted "
        f"{max((h.accepted_at or killed) - killed for h in posted):.1f} s after the kill",
    )
    lost = [d for d in dashboards if len(d.drops) > dropped_before[id(d)]]
    drill.figure(f"{len(lost)} dashboards lost their socket (those on web-1)")
    reopened = sorted(d.reopened_at - killed for d in lost if d.reopened_at > killed)
    if reopened:
        drill.figure(
            f"their new sockets had a snapshot {reopened[len(reopened) // 2]:.1f} s (median) "
            f"and {reopened[-1]:.1f} s (last) after the kill"
        )
    drill.check(
        "all reconnected and true within 10 s",
        when is not None and when <= 10 and bool(lost),
        f"all {len(dashboards)} true {when:.1f} s after the kill{back.describe()}"
        if when is not None
        else f"{len(first)} of {len(dashboards)} true within 60 s{back.describe()}",
    )
    restarted = [p for p in ctx.layout.pids("web-1") if p != victim]
    drill.check("the supervisor started web-1 again", bool(restarted), f"new pid {restarted}")
    return drill


@dataclass
class Counselor:
    http: httpx.AsyncClient

    @classmethod
    async def sign_in(cls, base: str, cookie: str) -> "Counselor":
        http = httpx.AsyncClient(base_url=base, cookies={"sessionid": cookie}, timeout=30)
        page = await http.get("/")
        if page.status_code != 200 or "csrftoken" not in http.cookies:
            raise RuntimeError(f"sign-in check failed: GET / answered {page.status_code}")
        http.headers["X-CSRFToken"] = http.cookies["csrftoken"]
        http.headers["HX-Request"] = "true"
        return cls(http)

    async def timed(self, method: str, path: str) -> tuple[int, float]:
        started = time.monotonic()
        response = await self.http.request(method, path)
        return response.status_code, since(started)


async def drill_callbacks(ctx: Context) -> Drill:
    drill = Drill(
        "callbacks",
        "A platform's callback endpoint down for an hour (the console's clock moved 30x)",
    )
    speed, hour = 30.0, 3600.0
    ctx.receiver.up = False
    db = ctx.db
    # Counselors of their own (a counselor holds at most COUNSELOR_MAX_OPEN_CASES cases): each
    # claim is made by the next one; the first claimer reads their case's page through the hour.
    signed_in = [await Counselor.sign_in(ctx.layout.base, c) for c in ctx.cookies[200:]]
    claimers = iter(signed_in)
    async with client(ctx) as http:
        cases = [ctx.platform.new("high") for _ in range(4)]
        for h in cases:
            await ctx.platform.deliver(http, h, time.monotonic() + 30)
        actions: list[tuple[str, int, float]] = []
        counselor = next(claimers)
        status, took = await counselor.timed("POST", f"/cases/{cases[0].case_id}/claim")
        actions.append(("claim", status, took))
        status, took = await next(claimers).timed("POST", f"/cases/{cases[1].case_id}/claim")
        actions.append(("claim", status, took))
        ids = [str(h.case_id) for h in cases]
        callbacks = await asyncio.to_thread(
            db._rows,
            "SELECT id::text FROM handoff_callback WHERE handoff_id::text = ANY(%s)",
            (ids,),
        )
        callback_ids = [row[0] for row in callbacks]
        drill.figure(
            f"{len(callback_ids)} callbacks owed (4 queued, 2 claimed); the endpoint answers 503"
        )

        start = time.monotonic()

        def offset() -> float:
            return since(start) * (speed - 1)

        async def run_clock(stop: asyncio.Event) -> None:
            while not stop.is_set():
                ctx.clock_file.write_text(f"{offset():.3f}\n")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=0.2)

        stop_clock = asyncio.Event()
        clock = asyncio.create_task(run_clock(stop_clock))
        summary_waits: list[float] = []
        try:
            # Through the hour: a counselor keeps working, and new handoffs keep arriving.
            while offset() < hour:
                await asyncio.sleep(15)
                status, took = await counselor.timed("GET", f"/cases/{cases[0].case_id}/")
                actions.append(("case page", status, took))
                new = ctx.platform.new("imminent")
                await ctx.platform.deliver(http, new, time.monotonic() + 30)
                if new.case_id:
                    posted = time.monotonic()
                    while await asyncio.to_thread(db.summarized, [new.case_id]) == 0:
                        if since(posted) > 60:
                            break
                        await asyncio.sleep(0.1)
                    summary_waits.append(since(posted))
                status, took = await next(claimers).timed("POST", f"/cases/{new.case_id}/claim")
                actions.append(("claim", status, took))
            ctx.receiver.up = True
            returned_at = offset()
            pending = len(callback_ids)
            while offset() < returned_at + 1800:
                rows = await asyncio.to_thread(
                    db._rows,
                    "SELECT count(*) FROM handoff_callback WHERE id::text = ANY(%s) "
                    "AND status = 'pending'",
                    (callback_ids,),
                )
                pending = int(rows[0][0])
                if pending == 0:
                    break
                await asyncio.sleep(0.5)
            delivered_after = offset() - returned_at
        finally:
            stop_clock.set()
            await clock
    for each in signed_in:
        await each.http.aclose()

    attempts = await asyncio.to_thread(
        db._rows,
        "SELECT callback_id::text, number, extract(epoch FROM at), status_code "
        "FROM handoff_callbackattempt WHERE callback_id::text = ANY(%s) ORDER BY callback_id, "
        "number",
        (callback_ids,),
    )
    by_callback: dict[str, list[tuple[int, float, int | None]]] = {}
    for pk, number, at, code in attempts:
        by_callback.setdefault(pk, []).append((int(number), float(at), code))
    failed_counts = [sum(1 for _, _, c in rows if c != 204) for rows in by_callback.values()]
    gaps_ok = True
    longest = 0.0
    shortfalls: list[str] = []
    for rows in by_callback.values():
        for (n, at, _), (_, next_at, _) in itertools.pairwise(rows):
            gap = next_at - at
            longest = max(longest, gap)
            floor = min(2.0 * 2 ** (n - 1), 600.0)
            if gap + 0.5 < floor:
                gaps_ok = False
                shortfalls.append(f"attempt {n + 1} {gap:.0f} s after {n} (backoff {floor:.0f})")
    drill.figure(
        f"failed attempts per callback over the hour: {min(failed_counts)}-{max(failed_counts)} "
        f"(every 10 s would be {int(hour / 10)})"
    )
    example = next(iter(by_callback.values()), [])
    gaps = [round(b[1] - a[1]) for a, b in itertools.pairwise(example)]
    drill.figure(f"seconds between one callback's attempts (console clock): {gaps}")
    drill.check(
        "retries back off: no attempt before its backoff, at most about 10 min apart",
        gaps_ok and min(failed_counts) >= 5 and max(failed_counts) <= 30 and longest <= 1200,
        f"longest gap {longest:.0f} s{'; ' + '; '.join(shortfalls[:3]) if shortfalls else ''}",
    )
    once = all(
        ctx.receiver.delivered.get(f"msg_{uuid.UUID(pk).hex}", 0) == 1 for pk in callback_ids
    )
    drill.check(
        "delivered when it returns, each callback once",
        pending == 0 and once and ctx.receiver.bad_signatures == 0,
        f"{len(callback_ids) - pending} of {len(callback_ids)} delivered "
        f"{delivered_after / 60:.1f} min (console clock) after the endpoint returned; "
        f"deliveries per webhook-id {sorted(set(ctx.receiver.delivered.values()))}; "
        f"bad signatures {ctx.receiver.bad_signatures}",
    )
    slow = [(what, status, round(took, 2)) for what, status, took in actions if took > 1.0]
    statuses = Counter((what, status) for what, status, _ in actions)
    drill.check(
        "nothing blocks a counselor: every claim and page answered within 1 s",
        not slow and all(s in (200, 302) for (_, s) in statuses),
        f"{dict(statuses)}; slowest {max(t for _, _, t in actions):.2f} s",
    )
    drill.check(
        "new handoffs summarized meanwhile (the worker is not held by the platform)",
        bool(summary_waits) and max(summary_waits) <= 15,
        f"{len(summary_waits)} handoffs, slowest summary {max(summary_waits):.1f} s",
    )
    return drill


# --- Set-up, report, main --------------------------------------------------------------------


def drill_env(database_url: str, redis_url: str, port: int, clock_file: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in (
        "TESTING",
        "RUN_DIR",
        "PROMETHEUS_MULTIPROC_DIR",
        "HTTPS",
        "DJANGO_SETTINGS_MODULE",
    ):
        env.pop(name, None)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CHANNEL_PREFIX=f"faults{os.getpid()}",
        SECRET_KEY=BENCH_SECRET_KEY,
        FIELD_ENCRYPTION_KEYS=BENCH_ENCRYPTION_KEYS,
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        WEB_PROCESSES=str(WEB_PROCESSES),
        WORKER_CONCURRENCY=str(WORKER_CONCURRENCY),
        PROXY_LISTEN=f"127.0.0.1:{port}",
        PYTHONPATH=os.pathsep.join(filter(None, [str(CLOCK_DIR), env.get("PYTHONPATH", "")])),
        HANDOFF_DRILL_CLOCK_FILE=str(clock_file),
    )
    return env


def create_platform(env: dict[str, str], callback_url: str) -> tuple[str, str, str]:
    slug = f"drill-{uuid.uuid4().hex[:8]}"
    created = json.loads(
        manage(
            "platform_create",
            slug,
            "--name",
            "Fault drill",
            "--callback-url",
            callback_url,
            env=env,
        )
    )
    manage(
        "shell",
        "-c",
        "from handoff.models import Platform; "
        f"Platform.objects.filter(slug={slug!r}).update(rate_limit_per_minute=100000)",
        env=env,
    )
    return slug, created["inbound_secret"], created["outbound_secret"]


def report(drills: Sequence[Drill], header: Sequence[str]) -> str:
    lines = [*header, "", "| drill | result |", "| --- | --- |"]
    lines += [f"| {d.title} | {'passed' if d.passed else '**failed**'} |" for d in drills]
    for d in drills:
        lines += ["", f"### {d.title}", ""]
        lines += [f"- {text}" for text in d.figures]
        lines += [
            f"- {'passed' if c.passed else '**FAILED**'}: {c.what} ({c.detail})" for c in d.checks
        ]
    return "\n".join(lines) + "\n"


def write_report(text: str) -> None:
    document = REPORT.read_text() if REPORT.exists() else ""
    if BEGIN in document and END in document:
        head, rest = document.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        document = f"{head}{BEGIN}\n{text}{END}{tail}"
    else:
        document += f"\n{BEGIN}\n{text}{END}\n"
    REPORT.write_text(document)


def git_revision() -> str:
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        return rev + (" with uncommitted changes" if dirty else "")
    return "unknown"


def staff_signed_in(env: dict[str, str], name: str) -> list[str]:
    """The session cookies of 230 counselors signed in now, on the console's clock."""
    prefix = f"{name}{os.getpid()}"
    users = run_setup("bench.queue_bench", "staff", {"prefix": prefix, "count": 230}, env)
    return [u["cookie"] for u in users]


async def run_drills(ctx: Context, names: Sequence[str]) -> list[Drill]:
    runners = {
        "worker": drill_worker,
        "redis": drill_redis,
        "postgres": drill_postgres,
        "daphne": drill_daphne,
        "callbacks": drill_callbacks,
    }
    drills = []
    for name in names:
        print(f"\n== {name}", flush=True)
        drills.append(await runners[name](ctx))
        if name == "callbacks":
            # The console's clock is now an hour ahead: every session signed in before it
            # would be past SESSION_IDLE_MINUTES and rightly ended, its sockets closed. The
            # shift signs in again, on the console's clock.
            ctx.cookies = await asyncio.to_thread(staff_signed_in, ctx.env, "after-callbacks")
    if ctx.waiting_for_summaries:
        # Cases taken while Redis was down lost their wake-up; the reconciler finds them.
        start = time.monotonic()
        ids = ctx.waiting_for_summaries
        while (done := await asyncio.to_thread(ctx.db.summarized, ids)) < len(ids):
            if since(start) > 180:
                break
            await asyncio.sleep(1)
        drills[-1].figure(
            f"after the last drill: of the cases taken during the Redis and PostgreSQL drills, "
            f"{done} of {len(ids)} summarized (checked {since(start):.0f} s after it ended)"
        )
    ctx.stop_dashboards.set()
    for d in ctx.dashboards:
        if d.task is not None:
            await d.task
    return drills


def parse_range(text: str) -> tuple[int, int]:
    low, _, high = text.partition("-")
    return int(low), int(high or low)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", help=f"comma-separated drills of {', '.join(DRILLS)}")
    parser.add_argument("--ports", type=parse_range, help="take ports from LOW-HIGH")
    parser.add_argument("--write", action="store_true", help=f"update {REPORT.name}")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",")] if args.only else list(DRILLS)
    unknown = set(names) - set(DRILLS)
    if unknown:
        parser.error(f"unknown drills {sorted(unknown)}")
    stop_on_sigterm()
    skip_sniffio_lookup()
    raise_open_files()

    server = os.environ.get("FAULTS_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    database = f"handoff_faults_{os.getpid()}"
    database_url = server.rsplit("/", 1)[0] + f"/{database}"
    log_dir = Path(tempfile.mkdtemp(prefix="faults-"))
    clock_file = log_dir / "clock-offset"
    clock_file.write_text("0\n")
    proxy_port, redis_port, receiver_port = pick_ports(3, args.ports)
    header = [
        f"Run on {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC at commit {git_revision()}; "
        f"{machine()}; load average before {os.getloadavg()[0]:.1f}.",
        f"Layout: `ops.serve` with {WEB_PROCESSES} daphne processes behind nginx, a worker of "
        f"concurrency {WORKER_CONCURRENCY}, beat; the console's default settings "
        f"(visibility timeout {VISIBILITY_TIMEOUT} s). Logs: `{log_dir}`.",
    ]
    print("\n".join(header), flush=True)

    drills: list[Drill] = []
    redis = RedisServer(redis_port, log_dir)
    layout: LayoutProcess | None = None
    receiver: Receiver | None = None
    created = False
    try:
        recreate_database(database_url)
        created = True
        redis.start()
        env = drill_env(database_url, redis.url, proxy_port, clock_file)
        manage("migrate", "--noinput", env=env)
        receiver_url = f"http://127.0.0.1:{receiver_port}/callbacks"
        slug, inbound, outbound = create_platform(env, receiver_url)
        cookies = staff_signed_in(env, "drill")
        receiver = Receiver(receiver_port, outbound)
        layout = LayoutProcess(env, log_dir, proxy_port)
        started = time.monotonic()
        layout.start()
        print(f"layout up in {since(started):.0f} s on {layout.base}", flush=True)
        ctx = Context(
            layout=layout,
            redis=redis,
            db=Database(database_url),
            admin_url=server,
            database=database,
            platform=Platform(layout.base, slug, inbound),
            receiver=receiver,
            cookies=cookies,
            clock_file=clock_file,
            env=env,
        )
        drills = asyncio.run(run_drills(ctx, names))
    finally:
        if layout is not None:
            layout.stop()
        if receiver is not None:
            receiver.close()
        redis.stop()
        if created:
            with contextlib.suppress(subprocess.CalledProcessError):
                _psql(server, f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
                _psql(server, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    text = report(drills, header)
    print("\n" + text)
    if args.write:
        write_report(text)
        print(f"written to {REPORT.relative_to(ROOT)}")
    ok = len(drills) == len(names) and all(d.passed for d in drills)
    print("all drills passed" if ok else "SOME DRILLS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
