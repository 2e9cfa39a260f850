"""Periodic housekeeping. Tasks take ids or nothing, and are safe to run twice."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from handoff.models import WebhookDelivery
from handoff.queue.services import queue_age


@shared_task(name="handoff.webhook_deliveries_purge")
def webhook_deliveries_purge_task() -> int:
    """Forget webhook-ids older than the redelivery window (INTAKE_IDEMPOTENCY_DAYS)."""
    cutoff = timezone.now() - timedelta(days=settings.INTAKE_IDEMPOTENCY_DAYS)
    deleted, _ = WebhookDelivery.objects.filter(received_at__lt=cutoff).delete()
    return deleted


@shared_task(name="handoff.queue_age")
def queue_age_task() -> int:
    return queue_age()
