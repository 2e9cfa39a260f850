"""The case and its life. Services in handoff.services change these; nothing else writes them."""

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from handoff.crypto import EncryptedJSONField, EncryptedTextField


class Tier(models.TextChoices):
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"
    IMMINENT = "imminent", "Imminent"


TIER_RANK: dict[str, int] = {Tier.LOW: 1, Tier.MODERATE: 2, Tier.HIGH: 3, Tier.IMMINENT: 4}


def tier_max(*tiers: str | None) -> str:
    present = [t for t in tiers if t]
    return max(present, key=lambda t: TIER_RANK[t])


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    CLAIMED = "claimed", "Claimed"
    IN_CONTACT = "in_contact", "In contact"
    # An emergency call was placed; open until the counselor records whether emergency
    # services reached the person.
    AWAITING_CONFIRMATION = "awaiting_confirmation", "Awaiting confirmation"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


OWNED_STATUSES = (Status.CLAIMED, Status.IN_CONTACT, Status.AWAITING_CONFIRMATION)
OPEN_STATUSES = (Status.QUEUED, *OWNED_STATUSES)


def platform_status(status: str) -> str:
    """What a platform may learn: never that an emergency call is being confirmed."""
    return Status.IN_CONTACT if status == Status.AWAITING_CONFIRMATION else status


class Outcome(models.TextChoices):
    DEESCALATED = "deescalated", "De-escalated"
    MOBILE_CRISIS = "mobile_crisis", "Mobile crisis team"
    EMERGENCY_CALL = "emergency_call", "Emergency call (911)"
    NO_CONTACT = "no_contact", "No contact"
    NOT_AT_RISK = "not_at_risk", "Not at risk"
    REFERRED = "referred", "Referred"


class TierSource(models.TextChoices):
    PLATFORM = "platform", "Platform's level"
    SUMMARY = "summary", "Machine summary"
    COUNSELOR = "counselor", "Counselor"
    AGING = "aging", "Target time breached"


class SummaryStatus(models.TextChoices):
    PENDING = "pending", "Summary pending"
    READY = "ready", "Summary ready"
    UNAVAILABLE = "unavailable", "Summary unavailable"


class WithdrawReason(models.TextChoices):
    USER_LEFT = "user_left", "User left"
    CONSENT_REVOKED = "consent_revoked", "Consent revoked"
    RESOLVED_ELSEWHERE = "resolved_elsewhere", "Resolved elsewhere"


class Platform(models.Model):
    """An AI chat product that hands conversations over. Its slug is in every API path."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    outbound_secret = EncryptedTextField(help_text="Signs callbacks to the platform (whsec_...).")
    callback_url = models.URLField(
        blank=True, help_text="Where callbacks go. Never taken from a request."
    )
    rate_limit_per_minute = models.PositiveIntegerField(default=600)
    retention_days = models.PositiveIntegerField(default=90)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(rate_limit_per_minute__gte=1), name="platform_rate_limit_positive"
            ),
            models.CheckConstraint(
                condition=Q(retention_days__gte=1), name="platform_retention_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PlatformSecret(models.Model):
    """An inbound signing secret. Several may be valid at once while a platform rotates."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="inbound_secrets")
    secret = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="After this the secret no longer verifies requests."
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return f"inbound secret of {self.platform_id} from {self.created_at:%Y-%m-%d}"


class Handoff(models.Model):
    """One person handed over by a platform: a case."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="handoffs")
    external_id = models.CharField(max_length=128)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.QUEUED)

    tier = models.CharField(max_length=16, choices=Tier.choices)
    # Kept by the database so the live-queue index can order by it.
    tier_rank = models.GeneratedField(
        expression=models.Case(
            models.When(tier=Tier.IMMINENT, then=models.Value(4)),
            models.When(tier=Tier.HIGH, then=models.Value(3)),
            models.When(tier=Tier.MODERATE, then=models.Value(2)),
            default=models.Value(1),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )
    tier_source = models.CharField(
        max_length=16, choices=TierSource.choices, default=TierSource.PLATFORM
    )
    platform_level = models.CharField(max_length=16, choices=Tier.choices)
    risk_score = models.FloatField(null=True, blank=True)
    risk_model = models.CharField(max_length=128, blank=True)
    risk_categories = models.JSONField(default=list, blank=True)

    flagged_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    # When it (re-)entered the queue: the wait timer and the claim target count from here.
    queued_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped on every change a dashboard shows; realtime updates carry it.
    version = models.PositiveIntegerField(default=1)

    language = models.CharField(max_length=16, blank=True)
    preferred_channel = models.CharField(max_length=16, blank=True)
    # Derived flags so the queue shows availability without decrypting anything.
    has_phone = models.BooleanField(default=False)
    has_location = models.BooleanField(default=False)
    contact = EncryptedJSONField(null=True, blank=True)
    location = EncryptedJSONField(null=True, blank=True)
    metadata = EncryptedJSONField(default=dict, blank=True)
    transcript_version = models.PositiveIntegerField(default=0)

    # Filled by the machine summary (handoff.summary); the queue shows the headline.
    summary_status = models.CharField(
        max_length=16, choices=SummaryStatus.choices, default=SummaryStatus.PENDING
    )
    summary_headline = EncryptedTextField(blank=True, default="")
    summary_tier = models.CharField(max_length=16, choices=Tier.choices, blank=True)
    # The transcript version the summary was last asked for, and when: the reconciler re-asks
    # for summaries whose task was lost between commit and enqueue.
    summary_requested_version = models.PositiveIntegerField(default=0)
    summary_requested_at = models.DateTimeField(null=True, blank=True)
    # The transcript version of the last stored summary (ready or unavailable). A case whose
    # transcript is newer is due; the summary sweep leases due cases for a short while so two
    # workers never build the same one.
    summarized_version = models.PositiveIntegerField(default=0)
    summary_lease_until = models.DateTimeField(null=True, blank=True)
    # Set once when the case waited past its tier's target; the tier then moved up one.
    breached_at = models.DateTimeField(null=True, blank=True)

    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claimed_handoffs",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=32, choices=WithdrawReason.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"],
                condition=Q(status__in=OPEN_STATUSES),
                name="handoff_unique_open_external_id",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="handoff_status_valid"
            ),
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="handoff_tier_valid"),
            # Exactly one owner while owned, none while waiting or withdrawn; a closed case
            # keeps the counselor who closed it.
            models.CheckConstraint(
                condition=(
                    Q(status__in=OWNED_STATUSES, claimed_by__isnull=False)
                    | Q(status__in=[Status.QUEUED, Status.WITHDRAWN], claimed_by__isnull=True)
                    | Q(status=Status.CLOSED)
                ),
                name="handoff_owner_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(status=Status.CLOSED, closed_at__isnull=False)
                | ~Q(status=Status.CLOSED),
                name="handoff_closed_has_time",
            ),
        ]
        indexes = [
            # The live queue: queue_for() orders queued cases by tier, then by time waiting.
            # The id makes the order total (ties on queued_at) and lets position counts be
            # answered from the index alone.
            models.Index(
                "status",
                models.F("tier_rank").desc(),
                "queued_at",
                "id",
                condition=Q(status=Status.QUEUED),
                name="handoff_live_queue",
            ),
            # The summary sweep's work list: only cases still waiting for a summary.
            models.Index(
                models.F("tier_rank").desc(),
                "queued_at",
                condition=Q(summarized_version__lt=models.F("transcript_version")),
                name="handoff_summary_due",
            ),
        ]

    def __str__(self) -> str:
        return f"case {self.id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Consent(models.Model):
    """What the person agreed to, as the platform recorded it. Travels with the case."""

    handoff = models.OneToOneField(
        Handoff, on_delete=models.CASCADE, primary_key=True, related_name="consent"
    )
    contact = models.BooleanField()
    share_profile = models.BooleanField(default=False)
    share_location = models.BooleanField(default=False)
    granted_at = models.DateTimeField(null=True, blank=True)
    statement = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"consent for {self.handoff_id}"


class Role(models.TextChoices):
    USER = "user", "User"
    ASSISTANT = "assistant", "Assistant"
    COUNSELOR = "counselor", "Counselor"


class TranscriptMessage(models.Model):
    """One message of the conversation. Append-only; seq orders them within a case. A
    counselor's relayed text is a message too, with the callback that carries it."""

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    role = models.CharField(max_length=16, choices=Role.choices)
    text = EncryptedTextField()
    at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    callback = models.OneToOneField(
        "Callback", on_delete=models.SET_NULL, null=True, blank=True, related_name="relayed"
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["handoff", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["handoff", "seq"], name="transcript_message_unique_seq")
        ]

    def __str__(self) -> str:
        return f"message {self.seq} of {self.handoff_id}"


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
    CLOSED = "closed", "Closed"


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


class HandoffSummary(models.Model):
    """One machine summary of one transcript version. The unique constraint makes a retried or
    duplicated task a no-op."""

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="summaries")
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


# The case workspace and the directories live in their own modules; importing them here is what
# makes them part of this app's models.
from handoff.directory.models import (  # noqa: E402, F401
    EmergencyCenter,
    EmergencyCenterPostalCode,
    MobileCrisisTeam,
)
from handoff.dispositions.models import (  # noqa: E402, F401
    Amendment,
    ContactAttempt,
    Disposition,
    EmergencyCall,
    FollowUp,
    MobileCrisisDispatch,
    MobileCrisisStatusUpdate,
    Note,
    RiskAssessment,
)
