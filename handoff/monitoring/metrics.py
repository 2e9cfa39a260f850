"""The console's counters and histograms, changed where the events happen.

With PROMETHEUS_MULTIPROC_DIR set (before this module is first imported: prometheus_client
reads it then), every process writes its values to files there and a scrape of any one process
adds up all of them: the daphne processes and the Celery workers alike. Unset, the values live
in this process and a scrape shows this process's own.

Counting costs no query: an increment is a write to memory (or to a memory-mapped file).
Events in a transaction are counted after it commits, so a rolled-back claim counts nothing.
"""

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

# The `_created` series double every counter for nothing an alert reads, and multiprocess mode
# does not keep them: one exposition either way.
disable_created_metrics()  # type: ignore[no-untyped-call]

INSTRUMENTS = CollectorRegistry(auto_describe=True)

INTAKE_REQUESTS = Counter(
    "handoff_intake_requests",
    "Platform API writes (new handoffs, messages, withdrawals), by HTTP status answered.",
    ["status"],
    registry=INSTRUMENTS,
)
# Buckets around the tiers' targets (30 s, 2, 5 and 15 minutes by default).
CLAIM_SECONDS = Histogram(
    "handoff_claim_seconds",
    "Time from a case entering the queue to a counselor taking it, by tier at the claim.",
    ["tier"],
    buckets=(5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600),
    registry=INSTRUMENTS,
)
CASES_CLOSED = Counter(
    "handoff_cases_closed",
    "Cases closed, by outcome.",
    ["outcome"],
    registry=INSTRUMENTS,
)
CALLBACKS_FAILED = Counter(
    "handoff_callbacks_failed",
    "Callback attempts a platform did not accept (an error, a timeout or a non-2xx answer).",
    registry=INSTRUMENTS,
)
# livesum: the sockets of the processes alive now (state.py forgets the dead ones' files).
WEBSOCKET_CONNECTIONS = Gauge(
    "handoff_websocket_connections",
    "Open websocket connections (dashboards, floors and case pages).",
    registry=INSTRUMENTS,
    multiprocess_mode="livesum",
)
CELERY_TASK_SECONDS = Histogram(
    "handoff_celery_task_seconds",
    "Time a Celery task ran, by task name.",
    ["task"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30),
    registry=INSTRUMENTS,
)


def labels_init(*, tiers: Iterable[str], outcomes: Iterable[str]) -> None:
    """Show every tier and outcome from the start, at zero, so a rate over them has a series
    to start from (called once the models, which define them, are loaded)."""
    for tier in tiers:
        CLAIM_SECONDS.labels(tier=tier)
    for outcome in outcomes:
        CASES_CLOSED.labels(outcome=outcome)
    CALLBACKS_FAILED.inc(0)


def intake_answered(status: int) -> None:
    INTAKE_REQUESTS.labels(status=str(status)).inc()


def case_claimed(*, tier: str, waited_s: float) -> None:
    CLAIM_SECONDS.labels(tier=tier).observe(max(waited_s, 0.0))


def case_closed(*, outcome: str) -> None:
    CASES_CLOSED.labels(outcome=outcome).inc()


def callback_failed() -> None:
    CALLBACKS_FAILED.inc()


def websocket_opened() -> None:
    WEBSOCKET_CONNECTIONS.inc()


def websocket_closed() -> None:
    WEBSOCKET_CONNECTIONS.dec()


# --- Celery tasks: timed between the task_prerun and task_postrun signals ------------------

_task_started: dict[str, float] = {}


def task_started(*, task_id: str | None = None, **kwargs: Any) -> None:
    if task_id:
        _task_started[task_id] = time.monotonic()


def task_finished(*, task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    started = _task_started.pop(task_id, None) if task_id else None
    if started is not None:
        name = getattr(task, "name", None) or "unknown"
        CELERY_TASK_SECONDS.labels(task=name).observe(time.monotonic() - started)


# --- Reading them ---------------------------------------------------------------------------


def multiprocess_dir() -> Path | None:
    """The directory every process writes its values to, or None: one process, in memory."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(path) if path else None


def _forget_dead_processes(path: Path) -> None:
    """A process that died without saying so (SIGKILL, a crash) leaves its open sockets
    counted in its file: drop the live gauges of every process that no longer runs. Counters
    and histograms stay: what a dead process counted happened."""
    for file in path.glob("gauge_live*_*.db"):
        pid_text = file.stem.rsplit("_", 1)[-1]
        if not pid_text.isdigit():
            continue
        pid = int(pid_text)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            mark_process_dead(pid, str(path))  # type: ignore[no-untyped-call]
        except PermissionError:
            pass  # alive, another user's


def instruments_collector(registry: CollectorRegistry) -> None:
    """Register on `registry` what reads the counters, histograms and gauges above: every
    process's files in multiprocess mode, or this process's values."""
    path = multiprocess_dir()
    if path is None:
        registry.register(INSTRUMENTS)
        return
    _forget_dead_processes(path)
    MultiProcessCollector(registry, path=str(path))  # type: ignore[no-untyped-call]
