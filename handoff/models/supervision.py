"""What supervisors watch on the floor: alerts that wait for an acknowledgement, requests for
help from the counselor holding a case, and the note that goes with a handed-over case."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from handoff.crypto import EncryptedTextField
from handoff.models.case import Handoff


class AlertKind(models.TextChoices):
    TARGET_MISSED = "target_missed", "Target missed"
    CONFIRMATION_OVERDUE = "confirmation_overdue", "Emergency call not confirmed"
    HELP_REQUESTED = "help_requested", "Help requested"
    FOLLOW_UP_DUE = "follow_up_due", "Follow-up due"


class Alert(models.Model):
    """One alert about one case. It stays on the floor until a supervisor acknowledges it; its
    text is the console's own words (kind, tier, minutes), never the person's."""

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=24, choices=AlertKind.choices)
    text = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AlertKind.values), name="alert_kind_valid"),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="alert_acknowledged_by_someone",
            ),
        ]
        indexes = [
            # The floor's list: only the alerts nobody has acknowledged yet.
            models.Index(
                fields=["-created_at"], name="alert_open", condition=Q(acknowledged_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.handoff_id}"


class HelpRequest(models.Model):
    """A counselor asking a supervisor to join them on a case. The wait is answered_at minus
    asked_at, stored when answered so reports need not compute it."""

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="help_requests")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Clinical words may be in it: encrypted like every note.
    text = EncryptedTextField(blank=True, default="")
    asked_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    wait_s = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["asked_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True, answered_by__isnull=True, wait_s__isnull=True)
                | Q(answered_at__isnull=False, answered_by__isnull=False, wait_s__isnull=False),
                name="help_request_answered_whole",
            ),
        ]
        indexes = [
            models.Index(
                fields=["asked_at"],
                name="help_request_waiting",
                condition=Q(answered_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"help on {self.handoff_id} at {self.asked_at:%Y-%m-%d %H:%M:%S}"


class Handover(models.Model):
    """The note that goes with a case handed to a colleague, shown on the case page."""

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="handovers")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note = EncryptedTextField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["at", "id"]

    def __str__(self) -> str:
        return f"handover of {self.handoff_id} at {self.at:%Y-%m-%d %H:%M:%S}"


class Release(models.Model):
    """A held case put back in the queue, and why: the reason is typed, so it lives here,
    encrypted, and the event names this row."""

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="releases")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    reason = EncryptedTextField(blank=True, default="")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["at", "id"]

    def __str__(self) -> str:
        return f"release of {self.handoff_id} at {self.at:%Y-%m-%d %H:%M:%S}"
