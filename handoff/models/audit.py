"""The append-only audit trail."""

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from handoff.models.platform import Platform


class EventKind(models.TextChoices):
    RECEIVED = "received", "Received"
    DUPLICATE_DELIVERY = "duplicate_delivery", "Duplicate delivery"
    MESSAGES_ADDED = "messages_added", "Messages added"
    WITHDRAWN = "withdrawn", "Withdrawn"
    WITHDRAW_AFTER_CLAIM = "withdraw_after_claim", "Platform withdrew after claim"
    CLAIMED = "claimed", "Claimed"
    RELEASED = "released", "Released"
    TRANSFERRED = "transferred", "Transferred"
    TIER_CHANGED = "tier_changed", "Tier changed"
    TARGET_BREACHED = "target_breached", "Target time breached"
    SUMMARY_READY = "summary_ready", "Summary ready"
    SUMMARY_FAILED = "summary_failed", "Summary unavailable"
    VIEWED = "viewed", "Viewed"
    VIEWED_PERSONAL = "viewed_personal", "Viewed personal data"
    EXPORTED = "exported", "Exported"
    ACCESS_REFUSED = "access_refused", "Access refused"
    CONTACT_ATTEMPT = "contact_attempt", "Contact attempt"
    NOTE_ADDED = "note_added", "Note added"
    NOTE_EDITED = "note_edited", "Note edited"
    ASSESSMENT_RECORDED = "assessment_recorded", "Risk assessment recorded"
    MESSAGE_RELAYED = "message_relayed", "Message relayed"
    MOBILE_CRISIS_REQUESTED = "mobile_crisis_requested", "Mobile crisis team requested"
    MOBILE_CRISIS_UPDATE = "mobile_crisis_update", "Mobile crisis team update"
    EMERGENCY_CALL_RECORDED = "emergency_call_recorded", "Emergency call recorded"
    EMERGENCY_CONFIRMATION = "emergency_confirmation", "Emergency contact confirmation"
    CONFIRMATION_OVERDUE = "confirmation_overdue", "Emergency confirmation overdue"
    FOLLOW_UP_DUE = "follow_up_due", "Follow-up due"
    AMENDED = "amended", "Amended by supervisor"
    ALERT_ACKNOWLEDGED = "alert_acknowledged", "Alert acknowledged"
    HELP_REQUESTED = "help_requested", "Supervisor asked for"
    HELP_ANSWERED = "help_answered", "Supervisor answered"
    REVIEWED = "reviewed", "Reviewed by supervisor"
    REVIEW_COMMENTED = "review_commented", "Review comment added"
    FOLLOW_UP_TAKEN = "follow_up_taken", "Follow-up taken from the floor"
    FOLLOW_UP_NOT_REACHED = "follow_up_not_reached", "Follow-up: not reached"
    FOLLOW_UP_DONE = "follow_up_done", "Follow-up done"
    CLOSED = "closed", "Closed"
    ERASED = "erased", "Personal data erased"


class HandoffEvent(models.Model):
    """The append-only trace of who did and who viewed what, when.

    It keeps the case id rather than a foreign key so the trace outlives a purged case; it never
    holds personal data (ids, statuses, counts only). PostgreSQL refuses UPDATE and DELETE on it.
    """

    handoff_id = models.UUIDField(db_index=True)
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on {self.handoff_id} at {self.at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("HandoffEvent is append-only")
        super().save(*args, **kwargs)
