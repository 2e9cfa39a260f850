"""Two workers sweeping at once on PostgreSQL: every due case is built once, by one of them."""

import threading
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test import Client

from handoff.models import EventKind, Handoff, HandoffEvent, HandoffSummary
from handoff.summary.services import summary_engine
from handoff.summary.tasks import summaries_sweep, summary_sweep_task
from tests.support.factories import handoff_body, post_signed


@pytest.mark.django_db(transaction=True)
def test_parallel_sweeps_build_each_summary_once(platform_factory, settings) -> None:
    settings.SUMMARY_BATCH_SIZE = 3
    p = platform_factory()
    with mock.patch.object(summary_sweep_task, "delay"):
        ids = [
            post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body()).json()[
                "id"
            ]
            for _ in range(24)
        ]
    engine = summary_engine()
    built: list[int] = []  # list.append is atomic across threads
    real = engine.summarize

    def counting(**kwargs: Any) -> Any:
        built.append(1)
        return real(**kwargs)

    barrier = threading.Barrier(4)
    stored: list[int] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=10)
            stored.append(summaries_sweep())
        finally:
            connection.close()

    with mock.patch.object(engine, "summarize", side_effect=counting):
        threads = [threading.Thread(target=sweep) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)

    assert sum(stored) == 24 and len(stored) == 4
    assert len(built) == 24  # the engine ran once per case: leases never overlapped
    for case_id in ids:
        assert HandoffSummary.objects.filter(handoff_id=case_id).count() == 1
        assert (
            HandoffEvent.objects.filter(handoff_id=case_id, kind=EventKind.SUMMARY_READY).count()
            == 1
        )
    assert not Handoff.objects.filter(summary_lease_until__isnull=False).exists()
