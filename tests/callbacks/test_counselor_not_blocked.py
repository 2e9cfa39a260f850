"""A platform that never answers never slows a counselor: the claim commits and returns, and the
callback is sent afterwards by a worker (or, without one, by a background thread)."""

import time
from unittest import mock

import pytest

from handoff.callbacks.sender import AttemptOutcome
from handoff.callbacks.tasks import callback_send_task
from handoff.models import CallbackEvent, CallbackStatus, Handoff, Status
from handoff.runtime import background_stop
from tests.callbacks import callback_for, new_case, point_at, send
from tests.support.receiver import Receiver
from tests.support.staff import make_staff, signed_in


@pytest.mark.django_db
def test_claim_returns_at_once_while_the_platform_hangs(
    platform_factory, django_capture_on_commit_callbacks, settings
) -> None:
    settings.CALLBACK_TIMEOUT_SECONDS = 1
    p = platform_factory()
    case_id = new_case(p)
    client = signed_in(make_staff("casey"))
    with Receiver(p.outbound_secret, hang=True) as receiver:
        point_at(p, receiver.url)
        with (
            mock.patch.object(callback_send_task, "delay") as delay,
            django_capture_on_commit_callbacks(execute=True),
        ):
            started = time.monotonic()
            response = client.post(f"/cases/{case_id}/claim")
            elapsed = time.monotonic() - started

        assert response.status_code == 302 and response["Location"] == f"/cases/{case_id}/"
        assert elapsed < 2
        assert Handoff.objects.get(pk=case_id).status == Status.CLAIMED
        callback = callback_for(case_id, CallbackEvent.CLAIMED)
        # The request only handed the id to the broker, after its transaction committed.
        delay.assert_called_once_with(str(callback.pk))
        assert receiver.deliveries == []
        callback.refresh_from_db()
        assert callback.status == CallbackStatus.PENDING and callback.attempts == 0

        # The worker's attempt waits at most CALLBACK_TIMEOUT_SECONDS, then backs off.
        with mock.patch.object(callback_send_task, "apply_async") as later:
            assert send(callback) == AttemptOutcome.RETRY
        assert receiver.next(timeout=5).webhook_id == callback.webhook_id
        later.assert_called_once()
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.PENDING and callback.attempts == 1
    assert callback.attempt_log.get().error == "ReadTimeout"


@pytest.mark.django_db(transaction=True)
def test_without_a_worker_the_send_runs_on_a_background_thread(platform_factory, settings) -> None:
    """The embedded default runs Celery tasks in-process; the callback must still not run in the
    request."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    p = platform_factory()
    case_id = new_case(p)  # no callback URL yet: nothing to send for the intake
    client = signed_in(make_staff("casey"))
    with (
        Receiver(p.outbound_secret, hang=True) as receiver,
        mock.patch.object(callback_send_task, "delay") as delay,
    ):
        point_at(p, receiver.url)
        try:
            started = time.monotonic()
            response = client.post(f"/cases/{case_id}/claim")
            elapsed = time.monotonic() - started
            assert response.status_code == 302
            assert elapsed < 2

            callback = callback_for(case_id, CallbackEvent.CLAIMED)
            # The send happens after the response, from another thread, while the platform hangs.
            assert receiver.next(timeout=10).webhook_id == callback.webhook_id
            callback.refresh_from_db()
            assert callback.status == CallbackStatus.PENDING and callback.attempts == 1
            receiver.release.set()  # the platform answers at last
        finally:
            background_stop(timeout=15)
    delay.assert_not_called()
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.DELIVERED
    assert callback.attempt_log.get().status_code == 204
