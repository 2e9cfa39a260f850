"""The case and its life: status, outcome, consent and the transcript. Services change these;
nothing else writes them."""

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from handoff.crypto import EncryptedJSONField, EncryptedTextField
from handoff.models.platform import Platform
from handoff.models.summary import SummaryStatus
from handoff.models.tier import Tier


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


class ContactStatus(models.TextChoices):
    """What the counselor holding a case is doing with the person right now (set from the case
    page, shown on the floor and in the counselor's own list)."""

    ON_PHONE = "on_phone", "On the phone"
    TEXTING = "texting", "Texting"
    WAITING = "waiting", "Waiting for a reply"


class TierSource(models.TextChoices):
    PLATFORM = "platform", "Platform's level"
    SUMMARY = "summary", "Machine summary"
    COUNSELOR = "counselor", "Counselor"
    AGING = "aging", "Target time breached"


class WithdrawReason(models.TextChoices):
    USER_LEFT = "user_left", "User left"
    CONSENT_REVOKED = "consent_revoked", "Consent revoked"
    RESOLVED_ELSEWHERE = "resolved_elsewhere", "Resolved elsewhere"


class Handoff(models.Model):
    """One person handed over by a platform: a case."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="handoffs")
    external_id = models.CharField(max_length=128)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.QUEUED)

    tier = models.CharField(max_length=16, choices=Tier.choices)
    # Kept by the database so the live-queue index can order by it.
    tier_rank = models.GeneratedField(
        # Most urgent first with the lowest as the default, as migration 0001 wrote it.
        expression=models.Case(
            *(
                models.When(tier=tier, then=models.Value(tier.rank))
                for tier in reversed(Tier)
                if tier is not Tier.LOW
            ),
            default=models.Value(Tier.LOW.rank),
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
    # The platform's category codes for the person's risk: clinical, so encrypted.
    risk_categories = EncryptedJSONField(default=list, blank=True)

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
    # When the case entered the supervisors' review queue (handoff.reviews decides, after each
    # event that can put it there); the list and the navigation count read only these rows.
    review_queued_at = models.DateTimeField(null=True, blank=True)
    # When its personal content was erased (handoff.retention): by the retention job, or now by
    # a supervisor (who, and the reason they gave, encrypted). What reports count stays.
    purged_at = models.DateTimeField(null=True, blank=True)
    purged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    purge_reason = EncryptedTextField(blank=True, default="")
    # Who set it is kept so a status outlives no hand-over: a case released or transferred shows
    # none until its new holder sets one (contact_status_shown).
    contact_status = models.CharField(max_length=16, choices=ContactStatus.choices, blank=True)
    contact_status_at = models.DateTimeField(null=True, blank=True)
    contact_status_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

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
            # The review list and the navigation's unreviewed count (handoff.reviews.selectors).
            models.Index(
                "review_queued_at",
                condition=Q(review_queued_at__isnull=False),
                name="handoff_review_queue",
            ),
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
            # The retention job's work list (handoff.retention.services.cases_expired): ended
            # cases whose content is still there, by platform and by when they ended.
            models.Index(
                fields=["platform", "closed_at"],
                condition=Q(status=Status.CLOSED, purged_at__isnull=True),
                name="handoff_retention_closed",
            ),
            models.Index(
                fields=["platform", "withdrawn_at"],
                condition=Q(status=Status.WITHDRAWN, purged_at__isnull=True),
                name="handoff_retention_withdrawn",
            ),
        ]

    def __str__(self) -> str:
        return f"case {self.id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def contact_status_shown(self) -> bool:
        """Whether the contact status is its present holder's (and the case is being worked)."""
        return bool(
            self.contact_status
            and self.status in (Status.CLAIMED, Status.IN_CONTACT)
            and self.contact_status_by_id == self.claimed_by_id
        )


class Consent(models.Model):
    """What the person agreed to, as the platform recorded it. Travels with the case."""

    handoff = models.OneToOneField(
        Handoff, on_delete=models.CASCADE, primary_key=True, related_name="consent"
    )
    contact = models.BooleanField()
    share_profile = models.BooleanField(default=False)
    share_location = models.BooleanField(default=False)
    granted_at = models.DateTimeField(null=True, blank=True)
    statement = EncryptedTextField(blank=True, default="")

    def __str__(self) -> str:
        return f"consent for {self.handoff_id}"


class MessageRole(models.TextChoices):
    USER = "user", "User"
    ASSISTANT = "assistant", "Assistant"
    COUNSELOR = "counselor", "Counselor"


class TranscriptMessage(models.Model):
    """One message of the conversation. Append-only; seq orders them within a case. A
    counselor's relayed text is a message too, with the callback that carries it."""

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    role = models.CharField(max_length=16, choices=MessageRole.choices)
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
