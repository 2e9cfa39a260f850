"""Two copies of one delivery at the same moment: the database decides, one case results."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from handoff.models import EventKind, Handoff, HandoffEvent
from tests.support.factories import handoff_body, signed_headers

pytestmark = pytest.mark.django_db(transaction=True)


def _race(n: int, url: str, raw: bytes, headers_for) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            response = Client().generic(
                "POST", url, raw, content_type="application/json", headers=headers_for(i)
            )
            results[i] = (response.status_code, response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_identical_deliveries_in_parallel_make_one_case(platform_factory) -> None:
    p = platform_factory()
    raw = json.dumps(handoff_body()).encode()
    headers = signed_headers(secret=p.inbound_secret, body=raw, msg_id="msg_parallel")

    results = _race(2, p.url(), raw, lambda i: headers)

    assert [status for status, _ in results] == [202, 202], results
    assert results[0][1] == results[1][1]
    assert Handoff.objects.filter(platform=p.platform).count() == 1
    handoff_id = results[0][1]["id"]
    kinds = sorted(
        HandoffEvent.objects.filter(handoff_id=handoff_id).values_list("kind", flat=True)
    )
    assert kinds == sorted([EventKind.RECEIVED, EventKind.DUPLICATE_DELIVERY])


def test_same_external_id_different_deliveries_in_parallel_one_wins(platform_factory) -> None:
    p = platform_factory()
    raw = json.dumps(handoff_body()).encode()
    headers = [signed_headers(secret=p.inbound_secret, body=raw) for _ in range(4)]

    results = _race(4, p.url(), raw, lambda i: headers[i])

    statuses = sorted(status for status, _ in results)
    assert statuses == [202, 409, 409, 409], results
    winner = next(body for status, body in results if status == 202)
    assert all(body["handoff_id"] == winner["id"] for status, body in results if status == 409)
    assert Handoff.objects.filter(platform=p.platform).count() == 1
