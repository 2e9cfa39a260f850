"""Stored machine summaries. The engine that makes them is handoff.summary."""

from django.db import models
from django.utils import timezone

from handoff.crypto import EncryptedJSONField
from handoff.models.tier import Tier


class SummaryStatus(models.TextChoices):
    PENDING = "pending", "Summary pending"
    READY = "ready", "Summary ready"
    UNAVAILABLE = "unavailable", "Summary unavailable"


class HandoffSummary(models.Model):
    """One machine summary of one transcript version. The unique constraint makes a retried or
    duplicated task a no-op."""

    handoff = models.ForeignKey(
        "handoff.Handoff", on_delete=models.CASCADE, related_name="summaries"
    )
    transcript_version = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=SummaryStatus.choices)
    engine = models.CharField(max_length=64)
    engine_version = models.CharField(max_length=32)
    suggested_tier = models.CharField(max_length=16, choices=Tier.choices, blank=True)
    # The whole structured summary; it quotes the transcript, so it is encrypted like it.
    data = EncryptedJSONField(null=True, blank=True)
    # Why a summary is unavailable: an exception's class and the engine's own words, never input.
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["handoff", "transcript_version"],
                name="summary_unique_per_transcript_version",
            )
        ]

    def __str__(self) -> str:
        return f"summary v{self.transcript_version} of {self.handoff_id}"
