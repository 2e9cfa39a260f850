"""Celery tasks, timed and in the log context: each task's run is observed in
handoff_celery_task_seconds{task}, and its log lines carry the task's name and id, and the id of
the request that queued it (sent along as a message header)."""

import contextlib
from contextvars import Token
from types import MappingProxyType
from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun

from handoff.monitoring import logs, metrics

REQUEST_ID_HEADER = "x_request_id"

# A task's log context, undone when it ends (a worker runs many tasks in one thread).
_tokens: dict[str, Token[MappingProxyType[str, str]]] = {}


def _publishing(*, headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = logs.current().get("request_id")
    if headers is not None and request_id and REQUEST_ID_HEADER not in headers:
        headers[REQUEST_ID_HEADER] = request_id


def _started(*, task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    metrics.task_started(task_id=task_id)
    if task_id:
        request = getattr(task, "request", None)
        _tokens[task_id] = logs.enter(
            task=getattr(task, "name", None),
            task_id=task_id,
            request_id=getattr(request, REQUEST_ID_HEADER, None),
        )


def _finished(*, task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    metrics.task_finished(task_id=task_id, task=task)
    token = _tokens.pop(task_id, None) if task_id else None
    if token is not None:
        with contextlib.suppress(ValueError):  # set in another context: nothing to undo here
            logs.leave(token)


def connect() -> None:
    """Once per process (the app's ready()); weak=False: the receivers are module functions."""
    before_task_publish.connect(_publishing, weak=False, dispatch_uid="handoff.monitoring.publish")
    task_prerun.connect(_started, weak=False, dispatch_uid="handoff.monitoring.prerun")
    task_postrun.connect(_finished, weak=False, dispatch_uid="handoff.monitoring.postrun")
