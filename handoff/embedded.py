"""The embedded default has no Celery worker or beat: tasks run in the web process, and this
thread runs the periodic ones (aging, presence, reconcilers, sweeps) on beat's schedule."""

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)


def start_periodic_tasks() -> threading.Thread:
    from config.celery import app

    app.loader.import_default_modules()
    schedule = [
        (entry["task"], float(entry["schedule"]))
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
    ]
    due = {name: 0.0 for name, _ in schedule}

    def run() -> None:
        while True:
            now = time.monotonic()
            for name, every in schedule:
                if now < due[name]:
                    continue
                due[name] = now + every
                try:
                    app.tasks[name]()
                except Exception as exc:
                    logger.warning("periodic task %s failed (%s)", name, type(exc).__name__)
                finally:
                    close_old_connections()
            time.sleep(1.0)

    thread = threading.Thread(target=run, name="embedded-beat", daemon=True)
    thread.start()
    return thread
