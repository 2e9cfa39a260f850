"""The callback outbox: signed notifications owed to platforms, and each try at delivering one."""

import uuid
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone

from handoff.models.case import Handoff
from handoff.models.platform import Platform


class CallbackEvent(models.TextChoices):
    QUEUED = "handoff.queued", "handoff.queued"
    CLAIMED = "handoff.claimed", "handoff.claimed"
    MESSAGE = "handoff.message", "handoff.message"
    CLOSED = "handoff.closed", "handoff.closed"


class CallbackStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    EXPIRED = "expired", "Expired"
    NO_URL = "no_url", "No callback URL"


class Callback(models.Model):
    """A signed notification owed to a platform: an outbox row, written with the change itself."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="callbacks")
    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="callbacks")
    event = models.CharField(max_length=32, choices=CallbackEvent.choices)
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=CallbackStatus.choices, default=CallbackStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [
            # The callback sweeper: pending callbacks whose next attempt is due.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="callback_pending_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} for {self.handoff_id}"

    @property
    def webhook_id(self) -> str:
        """The same on every retry, so the platform can de-duplicate."""
        return f"msg_{self.id.hex}"


class CallbackAttempt(models.Model):
    """One try at delivering a callback: what the platform answered, or why it did not."""

    callback = models.ForeignKey(Callback, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # The exception's class or "HTTP <code>": never the platform's response body.
    error = models.CharField(max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar[list[str]] = ["callback", "number"]
        constraints = [
            models.UniqueConstraint(fields=["callback", "number"], name="callback_attempt_unique")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.callback_id}"
