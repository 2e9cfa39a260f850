"""Periodic housekeeping. Tasks take ids or nothing, and are safe to run twice."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from handoff.models import WebhookDelivery


@shared_task(name="handoff.webhook_deliveries_purge")
def webhook_deliveries_purge_task() -> int:
    """Forget webhook-ids older than the redelivery window (INTAKE_IDEMPOTENCY_DAYS)."""
    cutoff = timezone.now() - timedelta(days=settings.INTAKE_IDEMPOTENCY_DAYS)
    deleted, _ = WebhookDelivery.objects.filter(received_at__lt=cutoff).delete()
    return deleted


@shared_task(name="handoff.queue_age")
def queue_age_task() -> int:
    from handoff.queue.services import queue_age

    return queue_age()


# Celery's autodiscovery imports only each app's `tasks` module; the tasks that live beside
# their services are registered by importing them here, so a worker knows every task name.
from handoff.callbacks import tasks as callbacks_tasks  # noqa: E402
from handoff.dispositions import tasks as dispositions_tasks  # noqa: E402
from handoff.summary import tasks as summary_tasks  # noqa: E402

__all__ = [
    "callbacks_tasks",
    "dispositions_tasks",
    "queue_age_task",
    "summary_tasks",
    "webhook_deliveries_purge_task",
]
