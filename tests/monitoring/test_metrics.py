"""/metrics in one process: who may read it, what it says, and what it costs to read.
tests/monitoring/test_metrics_processes.py adds up real daphne processes and a worker."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest

from counselors.models import Role
from handoff.callbacks.sender import callback_attempt
from handoff.models import Callback, Handoff, Status, Tier
from handoff.monitoring import metrics
from tests.intake.test_failures import postgres_unreachable
from tests.support.factories import handoff_body, post_signed
from tests.support.metrics import TOKEN, Samples, names, parse, value
from tests.support.sockets import socket
from tests.support.staff import make_staff, session_cookie, signed_in

# Ports where nothing listens: a platform that is down.
DEAD_URL = "http://127.0.0.1:9/callbacks"


@pytest.fixture
def token(settings) -> str:
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client: Client | None = None) -> Samples:
    response = (client or Client()).get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return parse(response.content.decode())


@pytest.mark.django_db
def test_metrics_are_off_while_no_token_is_set(client, settings) -> None:
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    # No token guesses its way in when there is none to match.
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.django_db
def test_only_the_bearer_token_opens_metrics(token) -> None:
    anonymous = Client().get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert "handoff_" not in anonymous.content.decode()
    for header in (f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN):
        assert Client().get("/metrics", headers={"Authorization": header}).status_code == 401
    # A signed-in administrator is not a scraper.
    admin = signed_in(make_staff("ada", role=Role.ADMIN))
    assert admin.get("/metrics").status_code == 401
    assert "handoff_ready" in names(scrape())


@pytest.mark.django_db(transaction=True)
def test_gauges_read_the_queue_the_summaries_and_the_callbacks(token, platform_factory) -> None:
    p = platform_factory(callback_url=DEAD_URL)
    ids: dict[str, str] = {}
    for level in ("imminent", "high", "high"):
        response = post_signed(
            Client(), p.url(), secret=p.inbound_secret, body=handoff_body(risk={"level": level})
        )
        assert response.status_code == 202
        ids.setdefault(level, response.json()["id"])
    # The imminent case has waited 45 s, past its 30 s target; its summary was asked for then.
    earlier = timezone.now() - timedelta(seconds=45)
    Handoff.objects.filter(pk=ids["imminent"]).update(
        queued_at=earlier, summary_requested_at=earlier
    )

    samples = scrape()
    assert value(samples, "handoff_queue_waiting", {"tier": "imminent"}) == 1
    assert value(samples, "handoff_queue_waiting", {"tier": "high"}) == 2
    assert value(samples, "handoff_queue_waiting", {"tier": "low"}) == 0
    oldest = value(samples, "handoff_queue_oldest_wait_seconds", {"tier": "imminent"})
    assert 45 <= oldest < 60
    assert oldest > value(samples, "handoff_queue_target_seconds", {"tier": "imminent"}) == 30
    assert value(samples, "handoff_queue_oldest_wait_seconds", {"tier": "low"}) == 0
    # No worker runs here: every summary is still due, the oldest asked for 45 s ago.
    assert value(samples, "handoff_summaries_due") == 3
    assert 45 <= value(samples, "handoff_summary_lag_seconds") < 60
    # Each handoff owes its platform a handoff.queued callback.
    assert value(samples, "handoff_callbacks_pending") == 3
    assert value(samples, "handoff_ready") == 1
    assert value(samples, "handoff_dependency_up", {"dependency": "database"}) == 1
    assert value(samples, "handoff_dependency_up", {"dependency": "redis"}) == 1


@pytest.mark.django_db(transaction=True)
def test_counters_move_as_a_case_arrives_is_claimed_and_closes(token, platform_factory) -> None:
    p = platform_factory(callback_url=DEAD_URL)
    before = scrape()
    response = post_signed(
        Client(), p.url(), secret=p.inbound_secret, body=handoff_body(risk={"level": "high"})
    )
    case_id = response.json()["id"]
    refused = post_signed(Client(), p.url(), secret="whsec_" + "A" * 32, body=handoff_body())
    assert refused.status_code == 401
    counselor = signed_in(make_staff("casey"))
    assert counselor.post(f"/cases/{case_id}/claim").status_code == 302
    closed = counselor.post(
        f"/cases/{case_id}/close", {"outcome": "deescalated", "what_helped": "Talking it over."}
    )
    assert closed.status_code == 302
    assert Handoff.objects.get(pk=case_id).status == Status.CLOSED
    # The platform is down: its first callback attempt fails.
    callback = Callback.objects.filter(handoff_id=case_id).order_by("created_at").first()
    assert callback is not None
    callback_attempt(str(callback.id))

    after = scrape()

    def moved(name: str, labels: dict[str, str] | None = None) -> float:
        return value(after, name, labels) - value(before, name, labels)

    assert moved("handoff_intake_requests_total", {"status": "202"}) == 1
    assert moved("handoff_intake_requests_total", {"status": "401"}) == 1
    assert moved("handoff_claim_seconds_count", {"tier": "high"}) == 1
    assert moved("handoff_claim_seconds_bucket", {"tier": "high", "le": "+Inf"}) == 1
    assert moved("handoff_claim_seconds_count", {"tier": "low"}) == 0
    assert moved("handoff_cases_closed_total", {"outcome": "deescalated"}) == 1
    assert moved("handoff_cases_closed_total", {"outcome": "referred"}) == 0
    assert moved("handoff_callbacks_failed_total") == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_open_websockets_are_counted_until_they_close(token) -> None:
    cookie = await database_sync_to_async(lambda: session_cookie(make_staff("casey")))()

    async def sockets_open() -> float:
        return value(await database_sync_to_async(scrape)(), "handoff_websocket_connections")

    before = await sockets_open()
    first, second = socket("/ws/queue/", cookie=cookie), socket("/ws/queue/", cookie=cookie)
    assert (await first.connect())[0] and (await second.connect())[0]
    assert await sockets_open() == before + 2
    await first.disconnect()
    assert await sockets_open() == before + 1
    await second.disconnect()
    # A socket refused before it opened was never counted.
    refused = socket("/ws/queue/")
    assert not (await refused.connect())[0]
    assert await sockets_open() == before


@pytest.mark.django_db(transaction=True)
def test_a_scrape_reads_four_queries_whatever_the_number_of_cases(token, platform_factory) -> None:
    p = platform_factory()
    counts = []
    for total in (1, 300):
        now = timezone.now()
        Handoff.objects.bulk_create(
            Handoff(
                platform=p.platform,
                external_id=f"bulk-{total}-{i}",
                tier=list(Tier)[i % 4],
                platform_level=list(Tier)[i % 4],
                flagged_at=now,
                queued_at=now - timedelta(seconds=i),
                transcript_version=1,
            )
            for i in range(total - Handoff.objects.count())
        )
        with CaptureQueriesContext(connection) as queries:
            samples = scrape()
        assert sum(value(samples, "handoff_queue_waiting", {"tier": t}) for t in Tier) == total
        counts.append(len(queries))
    # Readiness, the queue, the summaries due, the callbacks pending.
    assert counts == [4, 4]


@pytest.mark.django_db(transaction=True)
def test_with_postgres_down_a_scrape_still_answers_and_says_so(token) -> None:
    with postgres_unreachable():
        response = Client(raise_request_exception=False).get(
            "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert response.status_code == 200
    samples = parse(response.content.decode())
    assert value(samples, "handoff_ready") == 0
    assert value(samples, "handoff_dependency_up", {"dependency": "database"}) == 0
    assert value(samples, "handoff_dependency_up", {"dependency": "redis"}) == 1
    # What only the database knows is absent rather than a made-up zero.
    assert "handoff_queue_waiting" not in names(samples)
    # The counters are still there.
    assert "handoff_cases_closed_total" in names(samples)


@pytest.mark.django_db(transaction=True)
def test_counting_adds_no_query_to_a_request(settings, platform_factory) -> None:
    """The intake and a case page read the same queries with the request context middleware
    (the request id, the log context, the intake counter) as without it."""
    p = platform_factory()
    counselor = make_staff("casey")
    client = signed_in(counselor)

    def costs() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as intake:
            posted = post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body())
        intake_queries = len(intake)  # now: the log is cleared when the next request starts
        assert posted.status_code == 202
        case_id = posted.json()["id"]
        assert client.post(f"/cases/{case_id}/claim").status_code == 302
        with CaptureQueriesContext(connection) as page:
            assert client.get(f"/cases/{case_id}/").status_code == 200
        return intake_queries, len(page)

    costs()  # the first request loads what a process caches (the platform and its secrets)
    with_middleware = costs()
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "handoff.middleware.RequestContextMiddleware"
    ]
    assert costs() == with_middleware


COUNT_SOCKETS = """
import sys
from handoff.monitoring import metrics
for _ in range(int(sys.argv[1])):
    metrics.websocket_opened()
print("counted", flush=True)
sys.stdin.readline()  # stays alive until told
"""


def test_a_killed_process_sockets_are_not_counted_any_more(tmp_path, monkeypatch) -> None:
    """A daphne killed with SIGKILL never says its sockets closed: a scrape drops the live
    gauges of processes that no longer run, and keeps those of the living."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    root = Path(__file__).resolve().parents[2]

    def process(sockets: int) -> subprocess.Popen[str]:
        child = subprocess.Popen(
            [sys.executable, "-c", COUNT_SOCKETS, str(sockets)],
            cwd=root,
            env=dict(os.environ),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None and child.stdout.readline() == "counted\n"
        return child

    def sockets_open() -> float:
        registry = CollectorRegistry()
        metrics.instruments_collector(registry)
        return parse(generate_latest(registry).decode())[
            ("handoff_websocket_connections", frozenset())
        ]

    alive, killed = process(1), process(2)
    try:
        assert sockets_open() == 3
        killed.kill()
        killed.wait()
        assert sockets_open() == 1
    finally:
        for child in (alive, killed):
            child.kill()
            child.wait()
