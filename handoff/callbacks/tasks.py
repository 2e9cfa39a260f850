"""Callback tasks: thin doors into handoff.callbacks.sender. They take ids and are safe to run
any number of times; the database, not the broker, decides whether an attempt is due.

Without a worker (the embedded default runs Celery tasks in-process) a send would run inside the
counselor's request and a dead platform would hold it for the whole timeout. There, sends and
retries run on short-lived background threads instead, never in the request.
"""

import logging
import threading
import time

from celery import shared_task
from django.conf import settings
from django.db import connections

from handoff.callbacks.sender import Outcome, callback_attempt, callbacks_due, callbacks_expire
from handoff.jobs import CaseRun

logger = logging.getLogger(__name__)

# A due callback is left this long to its own task before the sweeper sends it again.
SWEEP_GRACE_SECONDS = 5.0
SWEEP_BATCH = 500


@shared_task(name="handoff.callback_send")
def callback_send_task(callback_id: str) -> str:
    result = callback_attempt(callback_id)
    if result.outcome is Outcome.RETRY and result.retry_in is not None:
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
    if settings.CELERY_TASK_ALWAYS_EAGER:
        _in_background(callback_id, countdown)
        return
    try:
        if countdown > 0:
            callback_send_task.apply_async(args=(callback_id,), countdown=countdown)
        else:
            callback_send_task.delay(callback_id)
    except Exception as exc:
        logger.warning(
            "callback %s not enqueued (%s); the sweeper will send it",
            callback_id,
            type(exc).__name__,
        )


# --- In-process sending, for when there is no worker ---------------------------------------

_background: set[threading.Timer] = set()
_background_lock = threading.Lock()


def _in_background(callback_id: str, countdown: float) -> None:
    timer = threading.Timer(countdown, _background_send, args=(callback_id,))
    timer.daemon = True  # a hung platform never keeps the process from exiting
    timer.name = f"callback-{callback_id}"
    with _background_lock:
        _background.add(timer)
    timer.start()


def _background_send(callback_id: str) -> None:
    try:
        callback_send_task(callback_id)
    except Exception:
        logger.exception("callback %s: background attempt failed", callback_id)
    finally:
        # This thread's own database connections; the request's are untouched.
        connections.close_all()
        with _background_lock:
            _background.discard(threading.current_thread())  # type: ignore[arg-type]


def background_stop(timeout: float = 30.0) -> None:
    """Cancel waiting in-process retries and wait for attempts in flight (tests, shutdown).
    Cancelled callbacks stay pending in the database for the sweeper."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _background_lock:
            timers = list(_background)
        if not timers:
            return
        for timer in timers:
            timer.cancel()
        for timer in timers:
            # An attempt in flight may schedule its retry before it ends: loop to cancel that too.
            timer.join(max(deadline - time.monotonic(), 0))
            if not timer.is_alive():
                with _background_lock:
                    _background.discard(timer)
