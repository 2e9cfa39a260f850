import logging
import os
from logging.config import dictConfig
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import setup_logging, worker_ready
from django.apps import apps
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("handoff")
app.config_from_object("django.conf:settings", namespace="CELERY")


def task_packages() -> list[str]:
    """Every installed app and each of its sub-packages that keeps a `tasks` module beside its
    services: Celery imports `<package>.tasks` from each when a worker, beat or the embedded
    runner loads its task modules."""
    packages = []
    for config in apps.get_app_configs():
        packages.append(config.name)
        root = Path(config.path)
        packages += sorted(
            f"{config.name}.{found.parent.name}" for found in root.glob("*/tasks.py")
        )
    return packages


app.autodiscover_tasks(task_packages)


@setup_logging.connect
def _log_as_the_web_processes_do(**kwargs: Any) -> None:
    """Workers and beat log through settings.LOGGING (JSON lines or text, LOG_FORMAT) instead
    of Celery's own format: connecting this signal is what stops Celery configuring logging.
    Python's warnings (Celery's own about running as root, say) become log lines too."""
    dictConfig(settings.LOGGING)
    logging.captureWarnings(True)


@worker_ready.connect
def sweep_what_is_due(**kwargs: Any) -> None:
    """A worker that starts (after a crash, a deploy) builds the summaries that are due at once,
    instead of leaving them to the redelivery of a sweep its predecessor held (the visibility
    timeout) or to the reconciler."""
    # Imported here: this module is loaded with the settings, before the app registry is ready.
    from handoff.summary.tasks import summary_sweep_kick

    summary_sweep_kick(force=True)
