"""Callback tasks: thin doors into handoff.callbacks.sender. They take ids and are safe to run
any number of times; the database, not the broker, decides whether an attempt is due.

Without a worker (the embedded default runs Celery tasks in-process) a send would run inside the
counselor's request and a dead platform would hold it for the whole timeout. There, sends and
retries run on short-lived background threads instead, never in the request (handoff.runtime).
"""

import logging

from celery import shared_task

from handoff import runtime
from handoff.callbacks.sender import (
    AttemptOutcome,
    callback_attempt,
    callbacks_due,
    callbacks_expire,
)
from handoff.jobs import CaseRun

logger = logging.getLogger(__name__)

# A due callback is left this long to its own task before the sweeper sends it again.
SWEEP_GRACE_SECONDS = 5.0
SWEEP_BATCH = 500


@shared_task(name="handoff.callback_send")
def callback_send_task(callback_id: str) -> str:
    result = callback_attempt(callback_id)
    if result.outcome is AttemptOutcome.RETRY and result.retry_in is not None:
        callback_dispatch(callback_id, countdown=result.retry_in)
    return str(result.outcome)


@shared_task(name="handoff.callbacks_sweep")
def callbacks_sweep_task() -> int:
    """Expire what is past its time; send again what is overdue. Returns how many were sent."""
    expired = callbacks_expire()
    due = callbacks_due(grace_seconds=SWEEP_GRACE_SECONDS, limit=SWEEP_BATCH)
    # Each callback is attempted by its own task; one that cannot be handed over stays pending
    # for the next sweep and never holds back the rest.
    run = CaseRun("callbacks sweep")
    for callback_id in due:
        with run.case(callback_id, atomic=False):
            callback_dispatch(callback_id)
    run.finish()
    sent = len(due) - len(run.skipped)
    if expired or due:
        logger.info("callbacks sweep: %d expired, %d sent again", expired, sent)
    return sent


def callback_dispatch(callback_id: str, *, countdown: float = 0.0) -> None:
    """Have the callback attempted in `countdown` seconds, by a worker or a background thread.
    Never raises: a broker outage leaves the row pending for the sweeper."""
    try:
        runtime.enqueue(callback_send_task, callback_id, countdown=countdown, may_hang=True)
    except Exception as exc:
        logger.warning(
            "callback %s not enqueued (%s); the sweeper will send it",
            callback_id,
            type(exc).__name__,
        )
