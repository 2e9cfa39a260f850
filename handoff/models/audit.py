"""The append-only audit trail."""

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
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
    CONTACT_STATUS = "contact_status", "Contact status set"
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
    AUDIT_READ = "audit_read", "Audit read"
    ERASED = "erased", "Personal data erased"


class HandoffEvent(models.Model):
    """The append-only trace of who did and who viewed what, when.

    It keeps the case id rather than a foreign key so the trace outlives a purged case; it never
    holds personal data (ids, statuses, counts only). Each case's events are a hash chain
    (`seq`, `prev_hash`, `hash`: handoff.chain), written only by handoff.events; the console's own
    events (an audit read) are a chain under handoff.chain.CONSOLE_CHAIN. Triggers refuse UPDATE,
    DELETE and TRUNCATE on PostgreSQL, UPDATE and DELETE on SQLite.
    """

    handoff_id = models.UUIDField()
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)
    # Its place in its case's chain, from 1, and the links: HMACs that start with their key's id.
    seq = models.PositiveIntegerField()
    prev_hash = models.CharField(max_length=100, blank=True)
    hash = models.CharField(max_length=100)

    class Meta:
        ordering: ClassVar[list[str]] = ["at", "id"]
        constraints = [
            # Two writers appending to one case at once cannot both take the same place.
            models.UniqueConstraint(fields=["handoff_id", "seq"], name="handoff_event_chain_seq"),
            models.CheckConstraint(
                condition=Q(seq__gte=1) & ~Q(hash=""), name="handoff_event_chained"
            ),
        ]
        indexes = [
            # /audit/ newest first, and its period filter.
            models.Index(fields=["at", "id"], name="handoff_event_at"),
            # /audit/ by person.
            models.Index(fields=["actor", "at"], name="handoff_event_actor_at"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.handoff_id} at {self.at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("HandoffEvent is append-only")
        if not self.hash:
            raise ValueError("HandoffEvent is chained: record it with handoff.events")
        super().save(*args, **kwargs)


class EventChainHead(models.Model):
    """Where each chain ends: the row an append locks and moves, and what the next checkpoint
    signs. The verifier does not trust it (it re-reads the events and the signed checkpoints);
    an edited head only makes the next append fail."""

    chain_id = models.UUIDField(primary_key=True)  # the case id, or CONSOLE_CHAIN
    seq = models.PositiveIntegerField(default=0)
    hash = models.CharField(max_length=100, blank=True)
    # The head's seq in the newest checkpoint that signed it.
    checkpointed_seq = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            # The checkpoint job's question: which chains grew since they were last signed.
            models.Index(
                fields=["chain_id"],
                condition=Q(seq__gt=F("checkpointed_seq")),
                name="event_chain_head_unsigned",
            )
        ]

    def __str__(self) -> str:
        return f"{self.chain_id} at {self.seq}"


class AuditCheckpoint(models.Model):
    """A signed statement of where chains ended, chained to the checkpoint before it: a chain
    cut short or deleted whole is caught up to the newest checkpoint that signed it. Append-only
    like the events."""

    seq = models.PositiveIntegerField(unique=True)
    at = models.DateTimeField()
    # {chain id: [seq, hash]} for each chain that grew since the checkpoint before.
    heads = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=100, blank=True)
    hash = models.CharField(max_length=100)

    class Meta:
        ordering: ClassVar[list[str]] = ["seq"]

    def __str__(self) -> str:
        return f"checkpoint {self.seq} at {self.at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("AuditCheckpoint is append-only")
        super().save(*args, **kwargs)
