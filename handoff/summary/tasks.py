"""Scheduling summaries: the wake-up of the sweep, the tasks and their retries. The tasks are
thin doors into handoff.summary.services and safe to run twice; the services never schedule
anything themselves, they are handed what to call."""

import contextlib
import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction

from handoff import runtime
from handoff.models import Handoff
from handoff.redis import key as redis_key
from handoff.summary.services import (
    summaries_build_due,
    summaries_overdue_mark,
    summary_build,
    summary_mark_unavailable,
    summary_request_record,
)

logger = logging.getLogger(__name__)

# Set while a sweep is queued and has not started; a request finding it set enqueues nothing.
SWEEP_PENDING_KEY = redis_key("summary:sweep-pending")
SWEEP_PENDING_TTL_S = 30  # a lost wake-up blocks others no longer than this
SWEEP_BUDGET_S = 10.0  # then the sweep hands over to a fresh task (time limit 20 s)


def summary_request_on_commit(*, handoff: Handoff, record: bool = True) -> None:
    """Ask for a summary of the current transcript once the caller's transaction commits.
    `record=False` when the caller already wrote the request's version and time on the row.

    The database says which cases are due (their transcript is newer than their last summary);
    the request only wakes the sweep that builds them, in batches."""
    if record:
        summary_request_record(handoff=handoff)
    transaction.on_commit(summary_sweep_kick)


def summary_sweep_kick(*, force: bool = False) -> None:
    """Wake a sweep, unless one is already queued and has not started: a burst of a thousand
    handoffs costs a Redis SET each and a handful of tasks, not a thousand. `force` enqueues one
    whatever the flag says (the reconciler, a sweep out of time)."""
    # The flag is for workers: without one the sweep runs right here, and nothing is queued.
    flag = runtime.redis() if runtime.current().worker else None
    try:
        if flag is not None:
            first = flag.set(SWEEP_PENDING_KEY, "1", nx=True, ex=SWEEP_PENDING_TTL_S)
            if not first and not force:
                return
        runtime.enqueue(summary_sweep_task)
    except Exception as exc:
        # Redis or the broker is down: the reconciler asks again. The case is already queued.
        logger.warning("summary sweep not enqueued (%s)", type(exc).__name__)
        if flag is not None:
            with contextlib.suppress(Exception):
                flag.delete(SWEEP_PENDING_KEY)


def summary_build_enqueue(handoff_id: str, transcript_version: int) -> None:
    """One case alone in its own task, which retries and then says "unavailable"."""
    try:
        runtime.enqueue(summary_build_task, handoff_id, transcript_version)
    except Exception as exc:
        # The broker is down: the reconciler asks again later. The case is already queued.
        logger.warning("summary for %s not enqueued (%s)", handoff_id, type(exc).__name__)


def summaries_sweep(*, budget_s: float = SWEEP_BUDGET_S) -> int:
    """Build every due summary (handoff.summary.services.summaries_build_due). Returns how many
    summaries were stored."""
    flag = runtime.redis() if runtime.current().worker else None
    if flag is not None:
        # From here on a new request wakes another sweep; what is due now, this one finds.
        flag.delete(SWEEP_PENDING_KEY)
    return summaries_build_due(
        budget_s=budget_s,
        hand_over=lambda: summary_sweep_kick(force=True),
        retry_alone=summary_build_enqueue,
    )


def summaries_reconcile() -> int:
    """Wake a sweep for summaries asked for and never built. Returns how many cases were found
    waiting too long."""
    count = summaries_overdue_mark()
    if count:
        summary_sweep_kick(force=True)
    return count


@shared_task(bind=True, name="handoff.summary_build", max_retries=None)
def summary_build_task(self: Any, handoff_id: str, transcript_version: int) -> None:
    try:
        summary_build(handoff_id=handoff_id, transcript_version=transcript_version)
    except Exception as exc:
        if self.request.retries < settings.SUMMARY_MAX_RETRIES:
            raise self.retry(exc=exc, countdown=2**self.request.retries) from exc
        summary_mark_unavailable(
            handoff_id=handoff_id,
            transcript_version=transcript_version,
            reason=f"engine failed after {self.request.retries + 1} attempts "
            f"({type(exc).__name__})",
        )


@shared_task(name="handoff.summary_sweep")
def summary_sweep_task() -> int:
    """Build every due summary in batches. Woken by intake; the reconciler wakes it again."""
    return summaries_sweep()


@shared_task(name="handoff.summary_reconcile")
def summary_reconcile_task() -> int:
    return summaries_reconcile()
