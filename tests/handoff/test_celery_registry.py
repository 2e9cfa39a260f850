from config.celery import app


def test_a_worker_knows_every_task_the_beat_schedule_and_services_send() -> None:
    from django.conf import settings

    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    sent = {"handoff.summary_build", "handoff.summary_sweep", "handoff.callback_send"}
    assert scheduled | sent <= set(app.tasks)
