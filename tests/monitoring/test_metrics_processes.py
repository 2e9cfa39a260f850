"""/metrics as deployed: two daphne processes and a Celery worker share one
PROMETHEUS_MULTIPROC_DIR, and a scrape of either daphne adds all three up."""

import contextlib
from collections.abc import Callable

import httpx
import pytest
from django.db import connection
from websockets.sync.client import connect

from tests.e2e.test_browser_queue import post_handoff
from tests.support.metrics import TOKEN, Samples, parse, value
from tests.support.receiver import Receiver
from tests.support.servers import celery_worker, daphne, free_port, redis_server
from tests.support.staff import StaffHttp, make_staff, session_cookie
from tests.support.waiting import until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def scrape(base: str) -> Samples:
    response = httpx.get(
        f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    return parse(response.text)


def scrape_until(base: str, wanted: Callable[[Samples], bool], what: str) -> Samples:
    """Scrape until the numbers say what `wanted` waits for (work done by another process)."""

    def check() -> Samples | None:
        samples = scrape(base)
        return samples if wanted(samples) else None

    return until(check, what=what)


def test_two_daphnes_and_a_worker_add_up_in_one_scrape(platform_factory, tmp_path) -> None:
    casey = make_staff("casey")
    cookie = session_cookie(casey)
    browser = StaffHttp(cookie)
    database = connection.settings_dict["NAME"]
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(shared), "METRICS_TOKEN": TOKEN}

    with contextlib.ExitStack() as stack:
        platform = platform_factory()
        receiver = stack.enter_context(Receiver(platform.outbound_secret, fail_times=1))
        platform.platform.callback_url = receiver.url
        platform.platform.save(update_fields=["callback_url"])
        redis_url = stack.enter_context(redis_server(free_port()))
        first = stack.enter_context(daphne(database_name=database, redis_url=redis_url, env=env))
        second = stack.enter_context(daphne(database_name=database, redis_url=redis_url, env=env))
        stack.enter_context(celery_worker(database_name=database, redis_url=redis_url, env=env))

        assert httpx.get(f"{first}/metrics").status_code == 401
        start = scrape(second)
        assert value(start, "handoff_intake_requests_total", {"status": "202"}) == 0

        # One handoff through each process.
        imminent = post_handoff(first, platform.slug, platform.inbound_secret, "imminent")
        post_handoff(second, platform.slug, platform.inbound_secret, "high")
        arrived = scrape_until(
            first,
            # The worker (a third process) built both summaries.
            lambda s: (
                value(s, "handoff_summaries_due") == 0
                and value(s, "handoff_celery_task_seconds_count", {"task": "handoff.summary_sweep"})
                >= 1
            ),
            "the worker to build both summaries",
        )
        for scraped in (arrived, scrape(second)):
            assert value(scraped, "handoff_intake_requests_total", {"status": "202"}) == 2
            assert value(scraped, "handoff_queue_waiting", {"tier": "imminent"}) == 1
            assert value(scraped, "handoff_queue_waiting", {"tier": "high"}) == 1

        # A dashboard open on the first process is counted in a scrape of the second.
        ws_url = first.replace("http://", "ws://") + "/ws/queue/"
        with connect(ws_url, additional_headers={"Cookie": f"sessionid={cookie}", "Origin": first}):
            assert value(scrape(second), "handoff_websocket_connections") == 1
        scrape_until(
            second, lambda s: value(s, "handoff_websocket_connections") == 0, "the socket to end"
        )

        # Claimed through the second process, closed through the first.
        claimed = browser.post(f"{second}/cases/{imminent}/claim")
        assert claimed.status_code == 302, claimed.text
        after_claim = scrape(first)
        assert value(after_claim, "handoff_claim_seconds_count", {"tier": "imminent"}) == 1
        assert value(after_claim, "handoff_queue_waiting", {"tier": "imminent"}) == 0
        closed = browser.post(
            f"{first}/cases/{imminent}/close",
            {"outcome": "deescalated", "what_helped": "Talking it through."},
        )
        assert closed.status_code == 302, closed.text
        assert value(scrape(second), "handoff_cases_closed_total", {"outcome": "deescalated"}) == 1

        # The platform refused the first try of each callback; the worker counted each refusal.
        done = scrape_until(
            second,
            lambda s: (
                value(s, "handoff_callbacks_failed_total") >= 4
                and value(s, "handoff_callbacks_pending") == 0
            ),
            "the callbacks to fail once each, then arrive",
        )
        assert value(done, "handoff_celery_task_seconds_count", {"task": "handoff.callback_send"})
