from pathlib import Path
from unittest import mock

from celery.signals import worker_ready
from django.conf import settings

from config.celery import app, task_packages


def test_a_worker_knows_every_task_the_beat_schedule_and_services_send() -> None:
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    sent = {"handoff.summary_build", "handoff.summary_sweep", "handoff.callback_send"}
    assert scheduled | sent <= set(app.tasks)


def test_every_tasks_module_is_discovered() -> None:
    root = Path(settings.BASE_DIR)
    modules = {
        ".".join(path.relative_to(root).with_suffix("").parts)
        for app_dir in ("handoff", "counselors")
        for path in (root / app_dir).rglob("tasks.py")
    }
    assert modules <= {f"{package}.tasks" for package in task_packages()}


def test_a_worker_that_starts_wakes_a_sweep_of_what_is_due() -> None:
    with mock.patch("handoff.summary.tasks.summary_sweep_kick") as kick:
        worker_ready.send(sender=None)
    kick.assert_called_once_with(force=True)


def test_summaries_and_the_floors_timers_never_queue_behind_callbacks() -> None:
    """Each has a queue of its own, and a worker started with no -Q reads them all."""

    def queue_of(task: str) -> str:
        return str(app.amqp.router.route({}, task)["queue"].name)

    assert queue_of("handoff.callback_send") == "celery"
    assert queue_of("handoff.summary_sweep") == queue_of("handoff.summary_build") == "summaries"
    assert queue_of("handoff.queue_age") == queue_of("handoff.presence_expire") == "floor"
    assert {q.name for q in app.amqp.queues.values()} >= {"celery", "summaries", "floor"}
