"""One attempt at delivering one callback. Scheduling the next attempt is the caller's job.

The attempt is claimed with a conditional UPDATE before anything is sent, so two workers that
pick up the same callback never send the same attempt twice. Logs carry ids, never the payload:
a `handoff.message` body holds a counselor's words to the person. Those words are not in the
outbox: they are read from the encrypted transcript line that relays them as each attempt is
made, so erasing that line (handoff.retention) leaves nothing of them to send or keep.
"""

import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone

from handoff.models import (
    Callback,
    CallbackAttempt,
    CallbackEvent,
    CallbackStatus,
    Handoff,
    TranscriptMessage,
)
from handoff.monitoring import metrics
from handoff.signing import sign_headers

logger = logging.getLogger(__name__)

# Sent (in the caller's transaction) with `handoff_ids` when a relayed message's callback settles.
# The outbox sits below the queue, which writes it: the queue's notify listens, so the case page
# hears of it without the outbox importing the queue.
relay_settled = Signal()

BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 600.0
# While an attempt is in flight its callback is not due: a second worker (or the sweeper) only
# takes it again after this, which is longer than any attempt can last.
LEASE_MARGIN_SECONDS = 30


class AttemptOutcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    EXPIRED = "expired"
    NO_URL = "no_url"
    SKIPPED = "skipped"  # deleted, no longer pending, or another worker holds this attempt


@dataclass(frozen=True)
class AttemptResult:
    outcome: AttemptOutcome
    retry_in: float | None = None  # seconds, when outcome is RETRY


def backoff_seconds(attempts: int) -> float:
    """2, 4, 8 ... seconds after the 1st, 2nd, 3rd attempt, capped at ten minutes, plus up to
    10% jitter so callbacks that failed together do not all retry in the same instant."""
    delay = min(BACKOFF_BASE_SECONDS * 2.0 ** min(max(attempts - 1, 0), 20), BACKOFF_CAP_SECONDS)
    return delay + random.uniform(0, delay / 10)  # noqa: S311 - jitter, not a secret


def _relay_status_changed(handoff_ids: list[Any]) -> None:
    """A relayed message's callback was delivered or given up: its open case page shows "sent"
    or "failed" without a reload. The case's version moves with it, so a page that missed the
    push catches up at its next check. In the caller's transaction."""
    if not handoff_ids:
        return
    Handoff.objects.filter(pk__in=handoff_ids).update(version=F("version") + 1)
    relay_settled.send(sender=Callback, handoff_ids=[str(pk) for pk in handoff_ids])


def _settled(callback: Callback, updated: int) -> None:
    """`updated` rows of this callback left pending just now (0: another worker was first)."""
    if updated and callback.event == CallbackEvent.MESSAGE:
        _relay_status_changed([callback.handoff_id])


def _claim(callback_id: str) -> Callback | None:
    """Take the due attempt, or None when there is none to take."""
    now = timezone.now()
    lease = timedelta(seconds=settings.CALLBACK_TIMEOUT_SECONDS + LEASE_MARGIN_SECONDS)
    try:
        won = Callback.objects.filter(
            pk=callback_id, status=CallbackStatus.PENDING, next_attempt_at__lte=now
        ).update(attempts=F("attempts") + 1, next_attempt_at=now + lease)
    except ValidationError:  # not a UUID: nothing to send
        return None
    if not won:
        return None
    return Callback.objects.select_related("platform").get(pk=callback_id)


def callback_body(callback: Callback) -> bytes | None:
    """What is sent: the stored payload and, for a relayed message, the words of the transcript
    line that relays it. None when those words are gone (erased): nothing to send."""
    payload = callback.payload
    if callback.event == CallbackEvent.MESSAGE:
        text = (
            TranscriptMessage.objects.filter(callback=callback)
            .values_list("text", flat=True)
            .first()
        )
        if not text:
            return None
        payload = {**payload, "data": {**payload["data"], "text": text}}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def _post(callback: Callback, body: bytes) -> tuple[int | None, str]:
    """POST the signed body to the platform's configured URL: (status code, error)."""
    headers = sign_headers(
        secret=callback.platform.outbound_secret, msg_id=callback.webhook_id, body=body
    )
    headers["content-type"] = "application/json"
    try:
        response = httpx.post(
            callback.platform.callback_url,
            content=body,
            headers=headers,
            timeout=settings.CALLBACK_TIMEOUT_SECONDS,
            follow_redirects=False,
        )
    except Exception as exc:
        return None, type(exc).__name__
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    # The response body is the platform's and may echo what we sent: only the code is kept.
    return response.status_code, f"HTTP {response.status_code}"


def callback_attempt(callback_id: str) -> AttemptResult:
    """Make the due attempt of one callback and record it. Safe to call any number of times."""
    callback = _claim(callback_id)
    if callback is None:
        return AttemptResult(AttemptOutcome.SKIPPED)
    if not callback.platform.callback_url:
        # The URL was removed since the callback was written: nowhere to send it.
        with transaction.atomic():
            updated = Callback.objects.filter(pk=callback.pk, status=CallbackStatus.PENDING).update(
                status=CallbackStatus.NO_URL
            )
            _settled(callback, updated)
        logger.info("callback %s: platform has no callback URL", callback.pk)
        return AttemptResult(AttemptOutcome.NO_URL)
    body = callback_body(callback)
    if body is None:
        # The relayed words were erased with the case's content: there is nothing to send.
        with transaction.atomic():
            updated = Callback.objects.filter(pk=callback.pk, status=CallbackStatus.PENDING).update(
                status=CallbackStatus.EXPIRED
            )
            _settled(callback, updated)
        logger.info("callback %s: its message was erased", callback.pk)
        return AttemptResult(AttemptOutcome.EXPIRED)

    started = time.monotonic()
    status_code, error = _post(callback, body)
    duration_ms = int((time.monotonic() - started) * 1000)
    now = timezone.now()
    number = callback.attempts

    with transaction.atomic():
        CallbackAttempt.objects.create(
            callback=callback,
            number=number,
            at=now,
            status_code=status_code,
            error=error[:200],
            duration_ms=duration_ms,
        )
        pending = Callback.objects.filter(pk=callback.pk, status=CallbackStatus.PENDING)
        if not error:
            _settled(callback, pending.update(status=CallbackStatus.DELIVERED, delivered_at=now))
            result = AttemptResult(AttemptOutcome.DELIVERED)
        elif now >= callback.expires_at:
            _settled(callback, pending.update(status=CallbackStatus.EXPIRED))
            result = AttemptResult(AttemptOutcome.EXPIRED)
        else:
            delay = backoff_seconds(number)
            pending.update(next_attempt_at=now + timedelta(seconds=delay))
            result = AttemptResult(AttemptOutcome.RETRY, retry_in=delay)

    if error:
        metrics.callback_failed()
    logger.info(
        "callback %s (%s, case %s) attempt %d: %s%s in %d ms",
        callback.pk,
        callback.event,
        callback.handoff_id,
        number,
        result.outcome,
        f" ({error})" if error else "",
        duration_ms,
    )
    return result


def callbacks_due(*, grace_seconds: float, limit: int) -> list[str]:
    """Pending callbacks whose next attempt has been due for longer than `grace_seconds`: their
    task was lost between commit and enqueue, or the worker holding them died."""
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    ids = Callback.objects.filter(
        status=CallbackStatus.PENDING, next_attempt_at__lte=cutoff
    ).order_by("next_attempt_at")[:limit]
    return [str(pk) for pk in ids.values_list("pk", flat=True)]


def callbacks_expire() -> int:
    """Stop trying callbacks past their expiry that are not being attempted right now."""
    now = timezone.now()
    expiring = Callback.objects.filter(
        status=CallbackStatus.PENDING, expires_at__lte=now, next_attempt_at__lte=now
    )
    with transaction.atomic():
        relays = expiring.filter(event=CallbackEvent.MESSAGE).select_for_update()
        cases = list(set(relays.values_list("handoff_id", flat=True)))
        expired = expiring.update(status=CallbackStatus.EXPIRED)
        _relay_status_changed(cases)
    return expired
