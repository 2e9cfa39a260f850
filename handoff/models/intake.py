"""What intake remembers of each webhook delivery, so a redelivery gets the same answer."""

from django.db import models
from django.utils import timezone

from handoff.models.platform import Platform


class WebhookDelivery(models.Model):
    """The first answer given to a webhook-id, replayed to any redelivery of it.

    The unique constraint is what makes two simultaneous copies create one case: the second
    insert waits for the first transaction and then fails.
    """

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="deliveries")
    webhook_id = models.CharField(max_length=255)
    endpoint = models.CharField(max_length=32)
    handoff_id = models.UUIDField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(default=dict)
    response_location = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "webhook_id"], name="webhook_delivery_unique_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.webhook_id} ({self.response_status})"
