"""The live queue on daphne + PostgreSQL + Redis: realtime fan-out, the claim race, the dashboard
page with many waiting cases and a reconnect storm, each beside baselines from the same run.

    uv run --frozen python -m bench.queue_bench [--quick]

Four parts, one after the other:

1. Accepted -> row on K dashboards (K = 1, 10, 50, 200): K signed-in sockets on one console
   process; signed handoffs are posted one at a time and each socket's `queue.update` for that
   handoff is timed, from just before the POST and from its 202. Baselines: a raw Redis
   publish -> subscribe round trip, and a bare channels `group_send` (from this process) to K
   sockets of a tiny consumer (`group_application` below) served by a daphne of its own.
2. Claim race: 50 signed-in contenders, each its own HTTP client, claim the same case at once,
   case after case; afterwards the database must show exactly one claim per case. Baselines: the
   same 50 clients sending a GET at once, round after round, to a bare ASGI callable in its own
   daphne (the server's floor) and to /healthz of the console (the floor plus Django).
3. The dashboard page (GET /) with 10,000 waiting cases, beside GET /healthz.
4. A reconnect storm: 500 dashboards connecting to one fresh console process at once.

The benchmark uses a database of its own (`handoff_bench_queue`), dropped and created again at
each run, and a channel-layer prefix of its own, so other runs on the same Redis never reach its
sockets.
"""

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import random
import re
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import redis.asyncio as aioredis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.common import (
    Server,
    daphne,
    machine,
    manage,
    percentile,
    print_table,
    process_open_files_limit,
    production_env,
    raise_open_files,
    recreate_database,
    run_setup,
    setup_main,
    skip_sniffio_lookup,
    standard_arguments,
    stop_on_sigterm,
)
from bench.intake_bench import create_platform, sign_all

MODULE = "bench.queue_bench"
ECHO_GROUP = "bench-echo"
# Frames are told apart by their first characters: every message starts with its type, and a
# queue update names its case within its first 200 characters (json.dumps keeps key order).
TYPE_RE = re.compile(r'\{"type": "([a-z._]+)"')
ID_RE = re.compile(r'"id": "([0-9a-f-]{36})"')
QUIET_S = 1.0
WAIT_FRAME_S = 10.0

# --- The baseline consumer, served by its own daphne: `bench.queue_bench:group_application` ------

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
_echo_app: Callable[[Scope, Receive, Send], Awaitable[None]] | None = None


def _echo_layer_config(redis_url: str, prefix: str) -> dict[str, Any]:
    """The console's channel-layer configuration (config/settings.py), with another prefix."""
    return {
        "hosts": [{"address": redis_url, "max_connections": 1000, "socket_timeout": 15}],
        "prefix": prefix,
    }


def _build_echo_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    from django.conf import settings

    if not settings.configured:
        config = _echo_layer_config(os.environ["REDIS_URL"], os.environ["BENCH_ECHO_PREFIX"])
        settings.configure(
            CHANNEL_LAYERS={
                "default": {
                    "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                    "CONFIG": config,
                }
            }
        )
    from channels.generic.websocket import AsyncWebsocketConsumer

    class Forward(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels is untyped
        """Joins one group, accepts, says it is ready, then forwards what the group carries:
        what the console's consumer does, without authentication, presence or rendering."""

        async def connect(self) -> None:
            await self.channel_layer.group_add(ECHO_GROUP, self.channel_name)
            await self.accept()
            await self.send(text_data='{"type": "queue.snapshot"}')

        async def disconnect(self, code: int) -> None:
            await self.channel_layer.group_discard(ECHO_GROUP, self.channel_name)

        async def bench_forward(self, event: dict[str, Any]) -> None:
            await self.send(text_data=event["text"])

    app: Callable[[Scope, Receive, Send], Awaitable[None]] = Forward.as_asgi()
    return app


async def group_application(scope: Scope, receive: Receive, send: Send) -> None:
    global _echo_app
    if scope["type"] == "lifespan":
        return
    if _echo_app is None:
        _echo_app = _build_echo_app()
    await _echo_app(scope, receive, send)


# --- Set-up steps, run in a Django process of their own (see bench.common.run_setup) ---------


def _setup_staff(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Counselor accounts through counselors.services.staff_create, each signed in once through
    Django's session engine, verified by their authenticator as the sign-in page would (the
    tests' own helper). Their passwords are random and never used: the fast MD5 hasher stands in
    for the slow default only while they are created here (a session's validity does not depend
    on the hasher)."""
    from django.test.utils import override_settings

    from counselors.models import Role
    from counselors.services import staff_create
    from tests.support.staff import signed_in

    out = []
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for i in range(int(payload["count"])):
            user = staff_create(
                username=f"{payload['prefix']}-{i:03d}",
                password=secrets.token_urlsafe(18),
                role=Role.COUNSELOR,
                display_name=f"Bench counselor {i}",
            )
            client = signed_in(user)
            out.append({"id": user.pk, "cookie": client.cookies["sessionid"].value})
    return out


def _setup_seed(payload: dict[str, Any]) -> dict[str, Any]:
    """Waiting cases, inserted in bulk (a case and its consent; no transcript: the queue never
    reads it). With `waiting` set, tops the queue up to that many waiting cases."""
    from datetime import timedelta

    from django.utils import timezone

    from handoff.models import Consent, Handoff, Platform, Status, SummaryStatus

    platform = Platform.objects.get(slug=payload["slug"])
    count = int(payload.get("count", 0))
    if "waiting" in payload:
        count = max(0, int(payload["waiting"]) - Handoff.objects.filter(status="queued").count())
    rng = random.Random(count)
    now = timezone.now()
    ids: list[str] = []
    for start in range(0, count, 1000):
        batch = []
        for i in range(start, min(start + 1000, count)):
            tier = rng.choices(["imminent", "high", "moderate", "low"], [1, 3, 4, 2])[0]
            waited = timedelta(seconds=rng.uniform(0, 600))
            ready = i % 3 != 0
            batch.append(
                Handoff(
                    platform=platform,
                    external_id=f"seed-{uuid.uuid4().hex}",
                    status=Status.QUEUED,
                    tier=tier,
                    platform_level=tier,
                    risk_score=round(rng.random(), 2),
                    risk_model="bench",
                    flagged_at=now - waited - timedelta(seconds=60),
                    received_at=now - waited,
                    queued_at=now - waited,
                    language="en",
                    preferred_channel="phone",
                    has_phone=rng.random() < 0.7,
                    has_location=rng.random() < 0.5,
                    transcript_version=1,
                    summary_status=SummaryStatus.READY if ready else SummaryStatus.PENDING,
                    summary_headline="Says they have pills at home and want to take them tonight."
                    if ready
                    else "",
                    summary_tier=tier if ready else "",
                    summarized_version=1 if ready else 0,
                )
            )
        Handoff.objects.bulk_create(batch)
        Consent.objects.bulk_create([Consent(handoff=h, contact=True) for h in batch])
        ids.extend(str(h.pk) for h in batch)
    if count:
        from django.db import connection

        # Thousands of rows in a second: vacuum and analyze, as autovacuum does within a minute
        # of such a load (migration 0008 sets it to act after 1% of the table changes). Without
        # the statistics PostgreSQL still believes the queue holds a few rows and sorts all
        # 10,000 for the page (16 ms) instead of reading the first 50 from the live-queue
        # index; without the vacuum the per-tier counts read every row from the table instead
        # of the index alone.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE handoff_handoff")
    return {
        "ids": ids if payload.get("return_ids") else [],
        "seeded": count,
        "waiting": Handoff.objects.filter(status=Status.QUEUED).count(),
    }


def _setup_claims(payload: dict[str, Any]) -> dict[str, Any]:
    """For each raced case: its CLAIMED events, its status and owner."""
    from django.db.models import Count

    from handoff.models import EventKind, Handoff, HandoffEvent

    ids = payload["ids"]
    events = (
        HandoffEvent.objects.filter(handoff_id__in=ids, kind=EventKind.CLAIMED)
        .values("handoff_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows = Handoff.objects.filter(pk__in=ids).values_list("pk", "status", "claimed_by_id")
    return {
        "events": {str(row["handoff_id"]): row["n"] for row in events},
        "rows": {str(pk): [status, owner] for pk, status, owner in rows},
    }


def _setup_broadcast_cost(payload: dict[str, Any]) -> dict[str, Any]:
    """Time of what every intake and claim does after commit, in this process (no server
    around it; wall time, so PostgreSQL's part counts): the per-tier counts alone, and one
    case's whole queue update (its row read, the counts read and rendered, the sequence number,
    the send to Redis). Median of `rounds` each, in ms, with the number of waiting cases."""
    import statistics

    from handoff.models import Handoff, Status
    from handoff.queue import notify, selectors

    rounds = int(payload.get("rounds", 200))
    case_id = str(Handoff.objects.filter(status=Status.QUEUED).values_list("pk", flat=True).first())

    def timed(work: Callable[[], object]) -> tuple[float, float]:
        """Wall time, not this process's CPU: what grows with the queue is PostgreSQL's work.
        The fastest of the rounds is the cost (waiting for a core on a busy machine only ever
        adds to it); the median is printed beside it."""
        work()  # warm (and fold the ledger after a bulk insert)
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            work()
            times.append((time.perf_counter() - started) * 1000)
        return min(times), statistics.median(times)

    counts = timed(selectors.tier_counts)
    update = timed(lambda: notify._send_changes([notify.CaseChange(case_id)]))
    return {
        "waiting": Handoff.objects.filter(status=Status.QUEUED).count(),
        "counts_ms": counts[0],
        "counts_median_ms": counts[1],
        "update_ms": update[0],
        "update_median_ms": update[1],
    }


SETUP_ACTIONS: dict[str, Callable[[Any], Any]] = {
    "staff": _setup_staff,
    "seed": _setup_seed,
    "claims": _setup_claims,
    "broadcast_cost": _setup_broadcast_cost,
}

# --- Dashboards ------------------------------------------------------------------------------


@dataclass
class Activity:
    """The last frame any dashboard saw, to wait for a quiet server between measurements, and
    the sockets the server closed."""

    last_frame: float = 0.0
    frames: Counter[str] = field(default_factory=Counter)
    server_closed: Counter[int | None] = field(default_factory=Counter)


@dataclass
class Dashboard:
    ws: ClientConnection
    cookie: str | None = None
    closed: bool = False
    snapshot: asyncio.Event = field(default_factory=asyncio.Event)
    snapshot_at: float = 0.0
    updates: dict[str, float] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None


async def _read(dashboard: Dashboard, activity: Activity) -> None:
    """Timestamp every frame as it is taken off the socket; parse only its first characters."""
    with contextlib.suppress(ConnectionClosed):
        async for raw in dashboard.ws:
            now = time.perf_counter()
            head = (raw if isinstance(raw, str) else raw.decode(errors="replace"))[:200]
            match = TYPE_RE.match(head)
            kind = match.group(1) if match else "?"
            activity.frames[kind] += 1
            activity.last_frame = now
            if kind == "queue.snapshot" and not dashboard.snapshot_at:
                dashboard.snapshot_at = now
                dashboard.snapshot.set()
            elif kind in ("queue.update", "bench.update"):
                found = ID_RE.search(head)
                if found:
                    dashboard.updates.setdefault(found.group(1), now)
    dashboard.closed = True
    protocol = dashboard.ws.protocol
    if protocol.close_rcvd is not None and protocol.close_rcvd_then_sent:  # the server's close
        activity.server_closed[protocol.close_rcvd.code] += 1


@dataclass
class ConnectErrors:
    count: int = 0
    first: str = ""

    def add(self, exc: BaseException) -> None:
        self.count += 1
        if not self.first:
            self.first = f"{type(exc).__name__}: {exc}"[:300]


async def open_dashboard(
    server: Server, cookie: str | None, activity: Activity, errors: ConnectErrors, path: str
) -> Dashboard | None:
    """Connect as a browser would (session cookie, Origin) and wait for the snapshot."""
    headers = {"Origin": server.base_url}
    if cookie:
        headers["Cookie"] = f"sessionid={cookie}"
    url = server.base_url.replace("http://", "ws://") + path
    try:
        ws = await connect(url, additional_headers=headers, open_timeout=30, max_size=2**24)
    except Exception as exc:
        errors.add(exc)
        return None
    dashboard = Dashboard(ws=ws, cookie=cookie)
    dashboard.task = asyncio.create_task(_read(dashboard, activity))
    try:
        await asyncio.wait_for(dashboard.snapshot.wait(), timeout=30)
    except TimeoutError as exc:
        errors.add(exc)
    return dashboard


async def open_many(
    server: Server,
    cookies: Sequence[str | None],
    activity: Activity,
    errors: ConnectErrors,
    *,
    path: str,
    parallel: int,
) -> list[Dashboard]:
    gate = asyncio.Semaphore(parallel)

    async def one(cookie: str | None) -> Dashboard | None:
        async with gate:
            return await open_dashboard(server, cookie, activity, errors, path)

    opened = await asyncio.gather(*(one(c) for c in cookies))
    return [d for d in opened if d is not None]


async def close_all(dashboards: Sequence[Dashboard]) -> None:
    async def one(d: Dashboard) -> None:
        d.closed = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(d.ws.close(), timeout=5)
        if d.task:
            d.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await d.task

    gate = asyncio.Semaphore(100)

    async def gated(d: Dashboard) -> None:
        async with gate:
            await one(d)

    await asyncio.gather(*(gated(d) for d in dashboards))


async def wait_quiet(activity: Activity, limit: float = 60.0) -> float:
    """Until no dashboard has seen a frame for QUIET_S (bounded); returns the time waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if time.perf_counter() - activity.last_frame >= QUIET_S:
            break
        await asyncio.sleep(0.1)
    return time.perf_counter() - started


async def wait_server_idle(server: Server, limit: float = 120.0) -> float:
    """Until the server process uses under 5% of a core for half a second (bounded); returns
    when its busy time ended, measured from the call. A server can be busy without sending a
    frame (its consumers' database calls queue on one thread), so frames alone do not tell."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        before = server.cpu_seconds()
        await asyncio.sleep(0.5)
        if server.cpu_seconds() - before < 0.025:
            return time.perf_counter() - started - 0.5
    return time.perf_counter() - started


async def wait_for_update(dashboards: Sequence[Dashboard], case_id: str, limit: float) -> None:
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        if all(case_id in d.updates or d.closed for d in dashboards):
            return
        await asyncio.sleep(0.002)


# --- Part 1: accepted -> row on K dashboards ---------------------------------------------------


@dataclass
class FanOut:
    scenario: str
    k: int
    latencies: list[float] = field(default_factory=list)  # ms
    missing: int = 0
    events: int = 0
    extra: str = ""

    def row(self, target: str) -> list[str]:
        return [
            self.scenario,
            str(self.k) if self.k else "-",
            str(self.events),
            str(len(self.latencies)),
            f"{percentile(self.latencies, 50):.1f}",
            f"{percentile(self.latencies, 99):.1f}",
            f"{max(self.latencies, default=float('nan')):.1f}",
            str(self.missing),
            target,
        ]


async def redis_round_trip(redis_url: str, count: int) -> FanOut:
    """Baseline (a): publish -> subscribe through Redis, one message at a time."""
    result = FanOut("redis publish -> subscribe", 0, events=count)
    channel = f"bench-queue-{uuid.uuid4().hex}"
    # Any: the installed stubs (types-redis 4.6) predate redis-py 5's aclose().
    client: Any = aioredis.Redis.from_url(redis_url)
    pubsub: Any = client.pubsub()
    await pubsub.subscribe(channel)
    waiting: dict[str, asyncio.Future[float]] = {}

    async def listen() -> None:
        async for message in pubsub.listen():
            if message["type"] == "message":
                future = waiting.get(message["data"].decode())
                if future is not None and not future.done():
                    future.set_result(time.perf_counter())

    listener = asyncio.create_task(listen())
    try:
        await asyncio.sleep(0.1)
        for i in range(count):
            future = waiting[str(i)] = asyncio.get_running_loop().create_future()
            started = time.perf_counter()
            await client.publish(channel, str(i))
            try:
                result.latencies.append((await asyncio.wait_for(future, 2) - started) * 1000)
            except TimeoutError:
                result.missing += 1
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await listener
        await pubsub.unsubscribe(channel)
        await pubsub.aclose()
        await client.aclose()
    return result


async def group_send_fan_out(
    layer: Any, dashboards: Sequence[Dashboard], count: int, pad: int
) -> FanOut:
    """Baseline (b): channels group_send from this process to K sockets of the echo consumer,
    with a message the size of the console's updates."""
    result = FanOut("channels group_send -> frame", len(dashboards), events=count)
    for _ in range(count):
        case_id = str(uuid.uuid4())
        text = json.dumps({"type": "bench.update", "seq": 0, "op": "upsert", "id": case_id})
        text = text[:-1] + ', "html": "' + "x" * pad + '"}'
        started = time.perf_counter()
        await layer.group_send(ECHO_GROUP, {"type": "bench.forward", "text": text})
        await wait_for_update(dashboards, case_id, WAIT_FRAME_S)
        for d in dashboards:
            if case_id in d.updates:
                result.latencies.append((d.updates[case_id] - started) * 1000)
            else:
                result.missing += 1
        await asyncio.sleep(0.05)
    return result


@dataclass
class PlatformRef:
    slug: str
    secret: str


async def accepted_fan_out(
    console: Server, platform: PlatformRef, dashboards: Sequence[Dashboard], count: int
) -> tuple[FanOut, FanOut, list[int]]:
    """Signed handoffs one at a time; each socket's queue.update for it, timed from just before
    the POST and from the 202."""
    k = len(dashboards)
    from_202 = FanOut("202 received -> row", k, events=count)
    from_send = FanOut("POST sent -> row", k, events=count)
    sizes: list[int] = []
    statuses: list[int] = []
    path = f"/api/v1/platforms/{platform.slug}/handoffs"
    async with httpx.AsyncClient(base_url=console.base_url, timeout=30) as client:
        for _ in range(count):
            request = sign_all(path, platform.secret, 1)[0]
            sent = time.perf_counter()
            response = await client.post(path, content=request.body, headers=request.headers)
            accepted = time.perf_counter()
            statuses.append(response.status_code)
            if response.status_code != 202:
                from_202.missing += k
                from_send.missing += k
                continue
            case_id = response.json()["id"]
            await wait_for_update(dashboards, case_id, WAIT_FRAME_S)
            for d in dashboards:
                if case_id in d.updates:
                    from_202.latencies.append((d.updates[case_id] - accepted) * 1000)
                    from_send.latencies.append((d.updates[case_id] - sent) * 1000)
                else:
                    from_202.missing += 1
                    from_send.missing += 1
            sizes.append(len(request.body))
            await asyncio.sleep(0.05)
    bad = [s for s in statuses if s != 202]
    if bad:
        from_202.extra = f"non-202 answers: {Counter(bad)}; "
    early = sum(1 for x in from_202.latencies if x < 0)
    from_202.extra += f"row before the 202 in {early} of {len(from_202.latencies)} pairs"
    return from_202, from_send, sizes


FAN_OUT_TARGETS = {50: 80.0, 200: 200.0}


def fan_out_target(result: FanOut) -> str:
    target = FAN_OUT_TARGETS.get(result.k)
    if target is None or not result.scenario.startswith("POST"):
        return ""
    met = percentile(result.latencies, 99) <= target
    return f"p99 <= {target:.0f}: {'met' if met else 'MISSED'}"


# --- Part 2: the claim race ------------------------------------------------------------------


# A winner's answer, told apart from other 200s by its HX-Redirect header.
WON = 1200


@dataclass
class Race:
    cases: int = 0
    winners: list[float] = field(default_factory=list)  # ms
    losers: list[float] = field(default_factory=list)  # ms
    statuses: Counter[int] = field(default_factory=Counter)
    not_one_winner: int = 0
    winner_of: dict[str, int] = field(default_factory=dict)
    wall: float = 0.0
    server_cpu: float = 0.0
    first_error: str = ""


async def signed_in_clients(
    stack: contextlib.AsyncExitStack, server: Server, cookies: Sequence[str]
) -> list[httpx.AsyncClient]:
    """One client per person, with their session; GET / once for the CSRF cookie, which then
    goes back as X-CSRFToken with HX-Request, as the page's htmx sends its POSTs."""
    clients = []
    for cookie in cookies:
        client = await stack.enter_async_context(
            httpx.AsyncClient(
                base_url=server.base_url,
                cookies={"sessionid": cookie},
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                timeout=60,
            )
        )
        page = await client.get("/")
        if page.status_code != 200 or "csrftoken" not in client.cookies:
            raise RuntimeError(f"sign-in check failed: GET / answered {page.status_code}")
        client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
        client.headers["HX-Request"] = "true"
        clients.append(client)
    return clients


async def claim_race(
    server: Server, users: Sequence[dict[str, Any]], case_ids: Sequence[str], max_seconds: float
) -> Race:
    race = Race()
    async with contextlib.AsyncExitStack() as stack:
        clients = await signed_in_clients(stack, server, [u["cookie"] for u in users])

        async def claim(n: int, case_id: str) -> tuple[int, int, float]:
            """The winner gets htmx's client redirect to the case (200 + HX-Redirect), a loser
            409 with "Already claimed by ..."."""
            started = time.perf_counter()
            try:
                response = await clients[n].post(f"/cases/{case_id}/claim")
            except httpx.HTTPError as exc:
                race.first_error = race.first_error or f"{type(exc).__name__}: {exc}"
                return n, 0, time.perf_counter() - started
            elapsed = time.perf_counter() - started
            status = response.status_code
            if status == 200 and "HX-Redirect" in response.headers:
                status = WON
            elif status != 409 or "Already claimed by" not in response.text:
                race.first_error = race.first_error or f"{status}: {response.text[:300]}"
            return n, status, elapsed

        cpu = server.cpu_seconds()
        started = time.perf_counter()
        for case_id in case_ids:
            if time.perf_counter() - started > max_seconds:
                break
            answers = await asyncio.gather(*(claim(n, case_id) for n in range(len(clients))))
            race.cases += 1
            won = [a for a in answers if a[1] == WON]
            if len(won) != 1:
                race.not_one_winner += 1
            for n, status, latency in answers:
                race.statuses[status] += 1
                if status == WON:
                    race.winners.append(latency * 1000)
                    race.winner_of[case_id] = int(users[n]["id"])
                elif status == 409:
                    race.losers.append(latency * 1000)
        race.wall = time.perf_counter() - started
        race.server_cpu = server.cpu_seconds() - cpu
    return race


async def burst_floor(
    base_url: str, path: str, contenders: int, rounds: int, cookies: Sequence[str] = ()
) -> list[float]:
    """The floor under the race: `contenders` clients send the same cheap GET at once, round
    after round, as the race sends its claims. Returns each answer's latency in ms."""
    latencies: list[float] = []
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=base_url,
                    cookies={"sessionid": cookies[n]} if cookies else None,
                    limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                    timeout=60,
                )
            )
            for n in range(contenders)
        ]

        async def one(client: httpx.AsyncClient) -> float:
            started = time.perf_counter()
            response = await client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} answered {response.status_code}")
            return (time.perf_counter() - started) * 1000

        # Round 0 opens the connections and is left out.
        for round_ in range(rounds + 1):
            answers = await asyncio.gather(*(one(client) for client in clients))
            if round_:
                latencies.extend(answers)
    return latencies


# --- Part 3: the dashboard page --------------------------------------------------------------


@dataclass
class Page:
    scenario: str
    latencies: list[float] = field(default_factory=list)  # ms
    statuses: Counter[int] = field(default_factory=Counter)
    server_cpu: float = 0.0
    size: int = 0

    def row(self, target: str) -> list[str]:
        n = max(len(self.latencies), 1)
        return [
            self.scenario,
            str(len(self.latencies)),
            f"{percentile(self.latencies, 50):.1f}",
            f"{percentile(self.latencies, 99):.1f}",
            f"{self.server_cpu * 1000 / n:.1f}",
            f"{self.size:,}",
            str(sum(v for k, v in self.statuses.items() if k != 200)),
            target,
        ]


async def time_page(
    server: Server, scenario: str, path: str, cookie: str, count: int, warmup: int
) -> Page:
    """One request at a time, so the latency is the server's time plus the loopback."""
    page = Page(scenario)
    async with httpx.AsyncClient(
        base_url=server.base_url, cookies={"sessionid": cookie}, timeout=30
    ) as client:
        for _ in range(warmup):
            await client.get(path)
        cpu = server.cpu_seconds()
        for _ in range(count):
            started = time.perf_counter()
            response = await client.get(path)
            page.latencies.append((time.perf_counter() - started) * 1000)
            page.statuses[response.status_code] += 1
            page.size = len(response.content)
        page.server_cpu = server.cpu_seconds() - cpu
    return page


# --- Part 4: the reconnect storm -------------------------------------------------------------


@dataclass
class Storm:
    sockets: int
    parallel: int
    errors: ConnectErrors = field(default_factory=ConnectErrors)
    all_snapshots_s: float = float("nan")
    per_socket_ms: list[float] = field(default_factory=list)
    quiet_s: float = 0.0
    frames: Counter[str] = field(default_factory=Counter)
    server_cpu: float = 0.0
    server_closed: int = 0


async def connect_storm(server: Server, cookies: Sequence[str], parallel: int) -> Storm:
    storm = Storm(sockets=len(cookies), parallel=parallel)
    activity = Activity()
    # One dashboard first, so the storm meets a process that has served a socket already.
    warm = await open_many(
        server, cookies[:1], Activity(), storm.errors, path="/ws/queue/", parallel=1
    )
    await close_all(warm)
    await wait_server_idle(server)
    gate = asyncio.Semaphore(parallel)
    dashboards: list[Dashboard] = []

    async def one(cookie: str) -> None:
        async with gate:
            began = time.perf_counter()
            d = await open_dashboard(server, cookie, activity, storm.errors, "/ws/queue/")
            if d is not None:
                dashboards.append(d)
                if d.snapshot_at:
                    storm.per_socket_ms.append((d.snapshot_at - began) * 1000)

    cpu = server.cpu_seconds()
    started = time.perf_counter()
    await asyncio.gather(*(one(c) for c in cookies))
    if len(storm.per_socket_ms) == len(cookies):
        storm.all_snapshots_s = max(d.snapshot_at for d in dashboards) - started
    storm.quiet_s = (time.perf_counter() - started) + await wait_server_idle(server, limit=180)
    storm.server_cpu = server.cpu_seconds() - cpu
    storm.frames = activity.frames
    storm.server_closed = sum(activity.server_closed.values())
    await close_all(dashboards)
    return storm


# --- The run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    ks: tuple[int, ...]
    posts: int
    race_cases: int
    race_contenders: int
    race_seconds: float
    floor_rounds: int
    waiting: int
    page_requests: int
    storm: int
    storm_parallel: int


def _raise_limit() -> None:
    raise_open_files()


def bench_env() -> dict[str, str]:
    env = production_env()
    parts = urlsplit(env["DATABASE_URL"])
    # Beside the intake benchmark's database: handoff_bench_queue unless BENCH_DATABASE_URL names
    # another, so runs against different databases never drop each other's.
    env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"{parts.path}_queue"))
    # This run's own channel-layer keys: other runs on the same Redis never reach its sockets.
    env["CHANNEL_PREFIX"] = f"benchq{os.getpid()}"
    # The race measures contention on one case, not the claim limit: with the default of 3 a
    # contender who had won 3 cases was refused for holding too many, which is not a loss.
    env["COUNSELOR_MAX_OPEN_CASES"] = "1000000"
    return env


async def part_fan_out(
    settings: Settings,
    env: dict[str, str],
    console: Server,
    echo: Server,
    platform: PlatformRef,
    users: Sequence[dict[str, Any]],
) -> tuple[list[FanOut], ConnectErrors, float, int]:
    from channels_redis.pubsub import RedisPubSubChannelLayer

    results = [await redis_round_trip(env["REDIS_URL"], 200)]
    # Warm-up, left out: the first handoffs pay for imports and templates in the console.
    await accepted_fan_out(console, platform, [], 3)
    layer = RedisPubSubChannelLayer(
        **_echo_layer_config(env["REDIS_URL"], env["BENCH_ECHO_PREFIX"])
    )
    errors = ConnectErrors()
    console_activity, echo_activity = Activity(), Activity()
    consoles: list[Dashboard] = []
    echoes: list[Dashboard] = []
    pad = 2000
    quiet_waits: list[float] = []
    reconnects = 0
    try:
        for k in settings.ks:
            # Each dashboard its own counselor; those of the smaller K stay connected.
            cookies = [u["cookie"] for u in users[len(consoles) : k]]
            consoles += await open_many(
                console, cookies, console_activity, errors, path="/ws/queue/", parallel=50
            )
            echoes += await open_many(
                echo, [None] * (k - len(echoes)), echo_activity, errors, path="/", parallel=50
            )
            # New counselors coming online make the console broadcast presence: let it settle.
            quiet_waits.append(await wait_quiet(console_activity, limit=120))
            for _ in range(5):
                dropped = [d for d in consoles if d.closed]
                if not dropped:
                    break
                # As the browser does: reconnect, and take a fresh snapshot.
                reconnects += len(dropped)
                consoles = [d for d in consoles if not d.closed]
                consoles += await open_many(
                    console,
                    [d.cookie for d in dropped],
                    console_activity,
                    errors,
                    path="/ws/queue/",
                    parallel=50,
                )
                await wait_quiet(console_activity, limit=120)
            from_202, from_send, sizes = await accepted_fan_out(
                console, platform, consoles, settings.posts
            )
            pad = max(sizes, default=pad) // 2
            await group_send_fan_out(layer, echoes, 3, pad)  # warm-up, left out
            baseline = await group_send_fan_out(layer, echoes, settings.posts, pad)
            results += [baseline, from_202, from_send]
            print(
                f"  K={k}: console p99 {percentile(from_202.latencies, 99):.1f} ms from the 202, "
                f"group_send p99 {percentile(baseline.latencies, 99):.1f} ms",
                flush=True,
            )
    finally:
        await close_all(consoles)
        await close_all(echoes)
        await layer.flush()
    closed = dict(console_activity.server_closed)
    closed_echo = dict(echo_activity.server_closed)
    print(
        f"  sockets closed by the console during part 1: {closed} (reconnected before measuring: "
        f"{reconnects}); by the group echo: {closed_echo}"
    )
    return results, errors, max(quiet_waits, default=0.0), sum(closed.values())


def print_fan_out(results: Sequence[FanOut], quiet: float, frames: str) -> None:
    print_table(
        (
            "scenario",
            "K",
            "events",
            "pairs",
            "p50 ms",
            "p99 ms",
            "max ms",
            "missing",
            "target",
        ),
        [r.row(fan_out_target(r)) for r in results],
    )
    for r in results:
        if r.extra:
            print(f"{r.scenario} K={r.k}: {r.extra}")
    print(f"longest wait for quiet sockets after new dashboards connected: {quiet:.1f} s{frames}")


# The queue the counts' and broadcast's cost is first measured with; then again with the page's.
COST_SMALL_QUEUE = 100


def print_claim_targets(race: "Race", hello_p99: float, contenders: int) -> None:
    """Issue 17's claim targets beside their floor: the p99 of as many Django hellos at once."""
    rows = []
    for who, latencies, limit in (("losers", race.losers, 1.5), ("winners", race.winners, 2.0)):
        p99 = percentile(latencies, 99)
        ratio = p99 / hello_p99 if hello_p99 else float("inf")
        rows.append(
            [
                f"claim {who} p99",
                f"{p99:.1f} ms",
                f"{contenders} Django hellos at once p99 {hello_p99:.1f} ms",
                f"{ratio:.2f}x",
                f"<= {limit}x",
                "met" if ratio <= limit else "MISSED",
            ]
        )
    print_table(("target", "claims", "floor (same run)", "ratio", "target", ""), rows)


def print_costs(costs: list[dict[str, Any]]) -> bool:
    """The counts and one broadcast's CPU with a small and a large queue: within 20%."""
    if len(costs) < 2:
        return True
    small, large = costs[0], costs[-1]
    rows = []
    for name, key in (("per-tier counts", "counts"), ("one case's queue update", "update")):
        fast, median = f"{key}_ms", f"{key}_median_ms"
        ratio = large[fast] / small[fast] if small[fast] else float("inf")
        rows.append(
            [
                name,
                f"{small[fast]:.3f} ms at {small['waiting']:,} (median {small[median]:.3f})",
                f"{large[fast]:.3f} ms at {large['waiting']:,} (median {large[median]:.3f})",
                f"{ratio:.2f}x",
                "<= 1.2x",
                "met" if ratio <= 1.2 else "MISSED",
            ]
        )
    print()
    headers = ("time per call (fastest)", "small queue", "large queue", "ratio", "target", "")
    print_table(headers, rows)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = standard_arguments(__doc__.splitlines()[0] if __doc__ else "queue benchmark")
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    parser.add_argument(
        "--storm-only", action="store_true", help="only part 4, the reconnect storm"
    )
    parser.add_argument(
        "--waiting", type=int, help="waiting cases for part 3 and the counts' cost (10,000)"
    )
    args = parser.parse_args(argv)
    if args.setup:
        return setup_main(SETUP_ACTIONS, args.setup)
    settings = (
        Settings((1, 10), 10, 20, 50, 30.0, 10, 2000, 20, 100, 100)
        if args.quick
        else Settings((1, 10, 50, 200), 30, 1000, 50, 300.0, 100, 10_000, 50, 500, 100)
    )
    if args.waiting is not None:
        settings = dataclasses.replace(settings, waiting=args.waiting)
    stop_on_sigterm()
    skip_sniffio_lookup()
    soft, hard = raise_open_files()

    env = bench_env()
    echo_env = dict(env, BENCH_ECHO_PREFIX=f"benche{os.getpid()}")
    echo_env.pop("DJANGO_SETTINGS_MODULE", None)
    env["BENCH_ECHO_PREFIX"] = echo_env["BENCH_ECHO_PREFIX"]
    print(f"machine: {machine()}")
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"open files (client and servers): soft {soft}, hard {hard}")
    recreate_database(env["DATABASE_URL"])
    manage("migrate", "--noinput", env=env)
    slug, secret = create_platform(env)
    platform = PlatformRef(slug, secret)
    users_needed = max(max(settings.ks), settings.race_contenders, settings.storm)
    users: list[dict[str, Any]] = run_setup(
        MODULE, "staff", {"prefix": f"bench{os.getpid()}", "count": users_needed}, env
    )
    print(f"platform {slug}; {len(users)} counselor accounts, each signed in once", flush=True)

    ok = True
    logs: dict[str, Path] = {}
    costs: list[dict[str, Any]] = []
    if not args.storm_only:
        run_setup(MODULE, "seed", {"slug": slug, "waiting": COST_SMALL_QUEUE}, env)
        costs.append(run_setup(MODULE, "broadcast_cost", {}, env))
    if not args.storm_only:  # parts 1-3 share one console process
        with (
            daphne(
                "config.asgi:application",
                name="console",
                env=env,
                preexec_fn=_raise_limit,
                processes=args.processes,
            ) as c,
            daphne(f"{MODULE}:group_application", name="group-echo", env=echo_env) as echo,
            daphne(
                "bench.asgi_hello:application", name="asgi-hello", processes=args.processes
            ) as hello,
        ):
            print(f"console daphne open-file limit: {process_open_files_limit(c.process.pid)}")
            print(f"\n1. accepted -> row on K dashboards (K = {settings.ks})", flush=True)
            fan, errors, quiet, dropped = asyncio.run(
                part_fan_out(settings, env, c, echo, platform, users)
            )
            print()
            print_fan_out(fan, quiet, "")
            missing = sum(r.missing for r in fan)
            if missing or errors.count or dropped:
                ok = False
                print(
                    f"MISSING updates: {missing}; connect errors: {errors.count} {errors.first}; "
                    f"sockets closed by the console: {dropped}"
                )

            print(
                f"\n2. claim race: {settings.race_contenders} contenders, "
                f"{settings.race_cases} cases",
                flush=True,
            )
            seeded = run_setup(
                MODULE,
                "seed",
                {"slug": slug, "count": settings.race_cases, "return_ids": True},
                env,
            )
            ids: list[str] = seeded["ids"]
            settle = asyncio.run(wait_server_idle(c, limit=300))
            print(f"console busy for {settle:.1f} s after the dashboards of part 1 closed")
            contenders = users[: settings.race_contenders]
            floors = [
                (
                    "bare ASGI hello (GET)",
                    asyncio.run(
                        burst_floor(hello.base_url, "/", len(contenders), settings.floor_rounds)
                    ),
                ),
                (
                    "django hello (GET /healthz)",
                    asyncio.run(
                        burst_floor(
                            c.base_url,
                            "/healthz",
                            len(contenders),
                            settings.floor_rounds,
                            [u["cookie"] for u in contenders],
                        )
                    ),
                ),
            ]
            race = asyncio.run(claim_race(c, contenders, ids, settings.race_seconds))
            raced = ids[: race.cases]
            check = run_setup(MODULE, "claims", {"ids": raced}, env)
            double = sum(1 for n in check["events"].values() if n > 1)
            no_event = sum(1 for i in raced if check["events"].get(i, 0) == 0)
            inconsistent = sum(
                1
                for i in raced
                if check["rows"][i][0] != "claimed" or check["rows"][i][1] != race.winner_of.get(i)
            )
            print_table(
                (
                    f"{len(contenders)} requests at once, round after round",
                    "requests",
                    "p50 ms",
                    "p99 ms",
                ),
                [
                    [name, str(len(ms)), f"{percentile(ms, 50):.1f}", f"{percentile(ms, 99):.1f}"]
                    for name, ms in floors
                ],
            )
            print()
            print_table(
                (
                    "cases",
                    "claims",
                    "claims/s",
                    "winner p50",
                    "winner p99",
                    "loser p50",
                    "loser p99",
                ),
                [
                    [
                        str(race.cases),
                        str(sum(race.statuses.values())),
                        f"{sum(race.statuses.values()) / max(race.wall, 1e-9):.0f}",
                        f"{percentile(race.winners, 50):.1f}",
                        f"{percentile(race.winners, 99):.1f}",
                        f"{percentile(race.losers, 50):.1f}",
                        f"{percentile(race.losers, 99):.1f}",
                    ]
                ],
            )
            print(
                f"statuses { {('won' if k == WON else k): v for k, v in race.statuses.items()} }; "
                "server CPU "
                f"{race.server_cpu * 1000 / max(sum(race.statuses.values()), 1):.2f} ms/claim"
            )
            print_claim_targets(race, percentile(floors[1][1], 99), len(contenders))
            print(
                f"double claims (cases with more than one CLAIMED event): {double}; cases without "
                f"exactly one winner: {race.not_one_winner}; without a claim event: {no_event}; "
                f"status or owner not the answered winner: {inconsistent}"
            )
            if race.cases < len(ids):
                print(
                    f"(time limit {settings.race_seconds:.0f} s reached after {race.cases} cases)"
                )
            if double or race.not_one_winner or no_event or inconsistent or race.first_error:
                ok = False
                print(f"CLAIM RACE FAILED; first unexpected answer: {race.first_error}")

            print(f"\n3. the dashboard page with {settings.waiting:,} waiting cases", flush=True)
            topped = run_setup(MODULE, "seed", {"slug": slug, "waiting": settings.waiting}, env)
            asyncio.run(wait_server_idle(c))
            # A counselor who did not race, so their own list is empty: the page shows the queue.
            cookie = users[settings.race_contenders]["cookie"]
            pages = [
                asyncio.run(
                    time_page(
                        c, "django hello (/healthz)", "/healthz", cookie, settings.page_requests, 5
                    )
                ),
                asyncio.run(
                    time_page(c, "dashboard (GET /)", "/", cookie, settings.page_requests, 5)
                ),
            ]
            page_met = percentile(pages[1].latencies, 99) <= 100
            print_table(
                (
                    "page",
                    "requests",
                    "p50 ms",
                    "p99 ms",
                    "server CPU ms/req",
                    "bytes",
                    "errors",
                    "target",
                ),
                [
                    pages[0].row(""),
                    pages[1].row(f"p99 <= 100: {'met' if page_met else 'MISSED'}"),
                ],
            )
            print(f"waiting cases: {topped['waiting']:,} ({topped['seeded']:,} inserted in bulk)")
            costs.append(run_setup(MODULE, "broadcast_cost", {}, env))
            ok = print_costs(costs) and ok
            if any(p.row("")[6] != "0" for p in pages):
                ok = False
                print(f"PAGE ERRORS: {[dict(p.statuses) for p in pages]}")
            logs = {"console": c.log_path, "group echo": echo.log_path}

    where = (
        "one fresh console process"
        if args.processes == 1
        else (f"{args.processes} fresh console processes")
    )
    print(f"\n4. {settings.storm} dashboards connecting at once to {where}")
    with daphne(
        "config.asgi:application",
        name="storm",
        env=env,
        preexec_fn=_raise_limit,
        processes=args.processes,
    ) as s:
        storm = asyncio.run(
            connect_storm(
                s, [u["cookie"] for u in users[: settings.storm]], settings.storm_parallel
            )
        )
        logs["storm"] = s.log_path
    met = storm.all_snapshots_s <= 5 and storm.errors.count == 0
    print_table(
        (
            "sockets",
            "parallel",
            "all snapshots s",
            "socket p50 ms",
            "socket p99 ms",
            "handshake errors",
            "server busy s",
            "target",
        ),
        [
            [
                str(storm.sockets),
                str(storm.parallel),
                f"{storm.all_snapshots_s:.2f}",
                f"{percentile(storm.per_socket_ms, 50):.0f}",
                f"{percentile(storm.per_socket_ms, 99):.0f}",
                str(storm.errors.count),
                f"{storm.quiet_s:.1f}",
                f"<= 5 s, 0 errors: {'met' if met else 'MISSED'}",
            ]
        ],
    )
    print(
        f"frames received during the storm: {dict(storm.frames)}; server CPU "
        f"{storm.server_cpu:.1f} s; sockets the server closed: {storm.server_closed}"
    )
    if storm.errors.count:
        ok = False
        print(f"HANDSHAKE ERRORS: {storm.errors.count}; first: {storm.errors.first}")
    print("\nload average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print("server logs: " + ", ".join(f"{k} {v}" for k, v in logs.items()))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
