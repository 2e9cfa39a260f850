"""The gauges that are facts in the database, read when /metrics is scraped.

Four queries and one Redis ping, however many cases there are: readiness (`SELECT 1` and the
ping), the waiting queue by tier (the live-queue index), the summaries due (the summary-due
index) and the pending callbacks (the callback sweeper's index). Nothing on the request path
counts these: a scrape every 15 s costs less than keeping them up to date at every change.
"""

import logging
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, F, Min
from django.db.models.functions import Coalesce
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from handoff.health import is_ready, readiness
from handoff.models import OPEN_STATUSES, Callback, CallbackStatus, Handoff, Status, Tier

logger = logging.getLogger(__name__)


def _age(now: datetime, since: datetime | None) -> float:
    return max((now - since).total_seconds(), 0.0) if since is not None else 0.0


class StateCollector:
    """A prometheus_client collector: each scrape reads the database afresh."""

    def collect(self) -> Iterator[Metric]:
        checks = readiness()
        yield from self._readiness(checks)
        if checks["database"] != "ok":
            return  # nothing more can be read; handoff_ready says why
        now = timezone.now()
        for read in (self._queue, self._summaries, self._callbacks):
            try:
                families = list(read(now))
            except DatabaseError as exc:
                # The others are still worth reporting; an absent series is an alert's clue.
                logger.warning("metrics: %s not read (%s)", read.__name__, type(exc).__name__)
                continue
            yield from families

    def _readiness(self, checks: dict[str, str]) -> Iterator[Metric]:
        ready = GaugeMetricFamily(
            "handoff_ready", "1 while PostgreSQL and Redis both answer (as /readyz), else 0."
        )
        ready.add_metric([], 1.0 if is_ready(checks) else 0.0)
        yield ready
        up = GaugeMetricFamily(
            "handoff_dependency_up",
            "1 while the dependency answers, else 0.",
            labels=["dependency"],
        )
        for name, state in checks.items():
            if state in {"ok", "unavailable"}:  # not "not used (embedded)"
                up.add_metric([name], 1.0 if state == "ok" else 0.0)
        yield up

    def _queue(self, now: datetime) -> Iterator[Metric]:
        rows = {
            row["tier"]: row
            for row in Handoff.objects.filter(status=Status.QUEUED)
            .values("tier")
            .annotate(waiting=Count("pk"), oldest=Min("queued_at"))
            .order_by()
        }
        waiting = GaugeMetricFamily(
            "handoff_queue_waiting", "Cases waiting in the queue, by tier.", labels=["tier"]
        )
        oldest = GaugeMetricFamily(
            "handoff_queue_oldest_wait_seconds",
            "How long the longest-waiting case of each tier has waited (0: none waiting).",
            labels=["tier"],
        )
        target = GaugeMetricFamily(
            "handoff_queue_target_seconds",
            "Each tier's target time to claim (QUEUE_TARGET_*_SECONDS).",
            labels=["tier"],
        )
        for tier in Tier:
            row = rows.get(tier.value, {})
            waiting.add_metric([tier.value], float(row.get("waiting", 0)))
            oldest.add_metric([tier.value], _age(now, row.get("oldest")))
            target.add_metric([tier.value], float(settings.QUEUE_TARGET_SECONDS[tier.value]))
        yield from (waiting, oldest, target)

    def _summaries(self, now: datetime) -> Iterator[Metric]:
        found = Handoff.objects.filter(
            status__in=OPEN_STATUSES, summarized_version__lt=F("transcript_version")
        ).aggregate(due=Count("pk"), oldest=Min(Coalesce("summary_requested_at", "received_at")))
        due = GaugeMetricFamily(
            "handoff_summaries_due", "Open cases whose transcript has no summary yet."
        )
        due.add_metric([], float(found["due"]))
        lag = GaugeMetricFamily(
            "handoff_summary_lag_seconds",
            "How long the oldest summary still due has been asked for (0: none due).",
        )
        lag.add_metric([], _age(now, found["oldest"]))
        yield from (due, lag)

    def _callbacks(self, now: datetime) -> Iterator[Metric]:
        found = Callback.objects.filter(status=CallbackStatus.PENDING).aggregate(
            pending=Count("pk"), oldest=Min("created_at")
        )
        pending = GaugeMetricFamily(
            "handoff_callbacks_pending", "Callbacks owed to platforms and not yet delivered."
        )
        pending.add_metric([], float(found["pending"]))
        oldest = GaugeMetricFamily(
            "handoff_callbacks_oldest_pending_seconds",
            "Age of the oldest callback not yet delivered (0: none pending).",
        )
        oldest.add_metric([], _age(now, found["oldest"]))
        yield from (pending, oldest)
