"""Callbacks to platforms, checked against a real receiver (tests/support/receiver.py)."""

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from handoff.callbacks.services import callback_enqueue
from handoff.callbacks.tasks import callback_send_task
from handoff.models import (
    Callback,
    CallbackEvent,
    Handoff,
    MessageRole,
    Platform,
    TranscriptMessage,
)
from tests.support.factories import PlatformWithSecrets, handoff_body, post_signed


def point_at(p: PlatformWithSecrets, url: str) -> None:
    """Give the platform a callback URL (the receiver's, known once it listens)."""
    Platform.objects.filter(pk=p.platform.pk).update(callback_url=url)
    p.platform.refresh_from_db()


def new_case(p: PlatformWithSecrets, **overrides: Any) -> str:
    response = post_signed(
        Client(), p.url(), secret=p.inbound_secret, body=handoff_body(**overrides)
    )
    assert response.status_code == 202, response.content
    return str(response.json()["id"])


def callback_for(case_id: str, event: CallbackEvent) -> Callback:
    return Callback.objects.get(handoff_id=case_id, event=event)


def make_due(callback: Callback) -> None:
    """Stand in for the backoff's wait: the next attempt is due now."""
    Callback.objects.filter(pk=callback.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def send(callback: Callback) -> str:
    """One run of the task, in this process, as a worker would run it."""
    return str(callback_send_task.apply(args=(str(callback.pk),)).get())


def relayed(handoff: Handoff, text: str) -> Callback:
    """A relayed message as the relay service stores it: the outbox row, and the transcript
    line that carries its words (the callback is sent with them)."""
    callback = callback_enqueue(handoff=handoff, event=CallbackEvent.MESSAGE)
    last = handoff.messages.order_by("-seq").values_list("seq", flat=True).first()
    TranscriptMessage.objects.create(
        handoff=handoff,
        seq=(last if last is not None else -1) + 1,
        role=MessageRole.COUNSELOR,
        text=text,
        at=timezone.now(),
        callback=callback,
    )
    return callback
