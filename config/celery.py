import os
from pathlib import Path

from celery import Celery
from django.apps import apps

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
