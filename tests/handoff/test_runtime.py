"""The deployed-or-embedded choice is made in one place, and follows a test's settings."""

from unittest import mock

import pytest
from django.conf import settings

from handoff import runtime

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="the suite's deployed runtime")


def test_deployed_tasks_go_to_a_worker_and_the_sequence_is_shared(settings) -> None:
    assert runtime.current() == runtime.Runtime(redis_url=settings.REDIS_URL, worker=True)
    assert runtime.redis() is not None
    task = mock.Mock()
    runtime.enqueue(task, "a", 1)
    runtime.enqueue(task, "b", countdown=5)
    task.delay.assert_called_once_with("a", 1)
    task.apply_async.assert_called_once_with(args=("b",), countdown=5)
    task.apply.assert_not_called()


def test_embedded_tasks_run_in_process_and_the_sequence_is_local(settings) -> None:
    settings.REDIS_URL = ""
    assert runtime.current() == runtime.Runtime(redis_url="", worker=False)
    assert runtime.redis() is None
    task = mock.Mock()
    runtime.enqueue(task, "a")
    task.apply.assert_called_once_with(args=("a",))
    task.delay.assert_not_called()
    last = runtime.sequence("test:seq").take(3)
    assert runtime.sequence("test:seq").take(0) == last


def test_eager_tasks_that_may_hang_run_on_a_background_thread(settings) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert not runtime.current().worker
    task = mock.Mock()
    runtime.enqueue(task, "a", countdown=60, may_hang=True)
    task.apply.assert_not_called()  # not in the caller's thread
    runtime.background_stop(timeout=5)  # cancelled while it waits
    task.apply.assert_not_called()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert runtime.current().worker
