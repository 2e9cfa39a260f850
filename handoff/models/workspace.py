"""The case workspace and its outcomes: what happens between "claimed" and "closed".

Everything here is appended, never edited in place: a note edit is a new note that supersedes
the old one, an assessment change is a new assessment, and after closing only a supervisor's
amendment (with its reason) can add to the record.
"""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from handoff.crypto import EncryptedJSONField, EncryptedTextField


class Note(models.Model):
    handoff = models.ForeignKey("handoff.Handoff", on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    text = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)
    # An edit is a new note pointing at the one it replaces; the old text stays.
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk} on {self.handoff_id}"


class ContactChannel(models.TextChoices):
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"
    CHAT = "chat", "Platform chat"


class ContactResult(models.TextChoices):
    NO_ANSWER = "no_answer", "No answer"
    VOICEMAIL = "voicemail", "Left voicemail"
    REACHED = "reached", "Reached the person"
    WRONG_NUMBER = "wrong_number", "Wrong number"
    FAILED = "failed", "Could not connect"


class ContactAttempt(models.Model):
    handoff = models.ForeignKey(
        "handoff.Handoff", on_delete=models.CASCADE, related_name="contact_attempts"
    )
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    channel = models.CharField(max_length=8, choices=ContactChannel.choices)
    at = models.DateTimeField(default=timezone.now)
    result = models.CharField(max_length=16, choices=ContactResult.choices)

    class Meta:
        ordering: ClassVar[list[str]] = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.channel} {self.result} at {self.at:%H:%M}"


class RiskAssessment(models.Model):
    """The counselor's structured assessment (Lifeline domains: desire, capability, intent,
    buffers). Each save is a new row; the latest is current."""

    handoff = models.ForeignKey(
        "handoff.Handoff", on_delete=models.CASCADE, related_name="assessments"
    )
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=timezone.now)
    # {"confirmed": [codes], "cleared": [codes], "added": [codes]}: which machine suggestions the
    # counselor confirmed or cleared, and what they added.
    indicators = EncryptedJSONField(default=dict)
    tier = models.CharField(max_length=16)
    machine_tier = models.CharField(max_length=16, blank=True)
    override_reason = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering: ClassVar[list[str]] = ["created_at", "id"]

    def __str__(self) -> str:
        return f"assessment {self.pk} on {self.handoff_id}"


class Disposition(models.Model):
    """How the case ended. One per case, written when it closes; never edited."""

    handoff = models.OneToOneField(
        "handoff.Handoff", on_delete=models.CASCADE, related_name="disposition"
    )
    outcome = models.CharField(max_length=16)
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    closed_at = models.DateTimeField(default=timezone.now)
    # Outcome-specific fields (what helped, referred to, ...), validated by the close form.
    details = EncryptedJSONField(default=dict)
    safety_plan = EncryptedJSONField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.outcome} for {self.handoff_id}"


class FollowUp(models.Model):
    handoff = models.ForeignKey(
        "handoff.Handoff", on_delete=models.CASCADE, related_name="follow_ups"
    )
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    due_at = models.DateTimeField()
    note = EncryptedTextField(blank=True, default="")
    reminded_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["due_at"]
        indexes = [
            # follow_ups_remind(): due follow-ups not yet reminded.
            models.Index(
                fields=["due_at"],
                condition=Q(reminded_at__isnull=True, done_at__isnull=True),
                name="follow_up_due",
            )
        ]

    def __str__(self) -> str:
        return f"follow-up of {self.handoff_id} at {self.due_at:%Y-%m-%d %H:%M}"


class DispatchStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ACCEPTED = "accepted", "Accepted"
    EN_ROUTE = "en_route", "En route"
    ON_SCENE = "on_scene", "On scene"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


DISPATCH_FINAL = (DispatchStatus.COMPLETED, DispatchStatus.CANCELLED)


class MobileCrisisDispatch(models.Model):
    handoff = models.ForeignKey(
        "handoff.Handoff", on_delete=models.CASCADE, related_name="dispatches"
    )
    team = models.ForeignKey(
        "handoff.MobileCrisisTeam", on_delete=models.PROTECT, null=True, blank=True
    )
    # Typed by hand when the team is not in the directory: encrypted like every typed text.
    team_name = EncryptedTextField(help_text="As named when requested")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    requested_at = models.DateTimeField()
    reference = EncryptedTextField(blank=True, default="")
    status = models.CharField(
        max_length=16, choices=DispatchStatus.choices, default=DispatchStatus.REQUESTED
    )
    result = EncryptedTextField(blank=True, default="")

    def __str__(self) -> str:
        return f"{self.team_name} for {self.handoff_id}"


class MobileCrisisStatusUpdate(models.Model):
    dispatch = models.ForeignKey(
        MobileCrisisDispatch, on_delete=models.CASCADE, related_name="updates"
    )
    status = models.CharField(max_length=16, choices=DispatchStatus.choices)
    at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    note = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering: ClassVar[list[str]] = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.status} at {self.at:%H:%M}"


class NoConsentReason(models.TextChoices):
    ATTEMPT_IN_PROGRESS = "attempt_in_progress", "Attempt in progress"
    IMMINENT_RISK = "imminent_risk", "Imminent risk"
    UNREACHABLE = "unreachable", "Could not reach the person to ask"


class EmergencyCall(models.Model):
    """A 911 call a counselor placed by hand, and what came of it. The console never dials."""

    handoff = models.ForeignKey(
        "handoff.Handoff", on_delete=models.CASCADE, related_name="emergency_calls"
    )
    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="emergency_calls"
    )
    center = models.ForeignKey(
        "handoff.EmergencyCenter", on_delete=models.PROTECT, null=True, blank=True
    )
    # The directory's center for the person's location when the call was recorded: kept beside
    # the center called, so an override brings a stale entry to light.
    suggested_center = models.ForeignKey(
        "handoff.EmergencyCenter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Entered by hand when the location is unknown or not covered by the directory. The center
    # called says where the person is, so these are encrypted like the location.
    center_name = EncryptedTextField()
    center_number = EncryptedTextField()
    dialed_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    call_taker = EncryptedTextField(blank=True, default="")
    incident_number = EncryptedTextField(blank=True, default="")
    relayed = EncryptedTextField(help_text="What was told to the call-taker.")
    person_consented = models.BooleanField()
    no_consent_reason = models.CharField(max_length=32, choices=NoConsentReason.choices, blank=True)
    supervisor_consulted = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consulted_on_calls",
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    # None until the counselor records whether emergency services reached the person.
    contact_confirmed = models.BooleanField(null=True, blank=True)
    confirmation_note = EncryptedTextField(blank=True, default="")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(person_consented=True) | ~Q(no_consent_reason=""),
                name="emergency_call_reason_without_consent",
            ),
            models.CheckConstraint(
                condition=Q(contact_confirmed__isnull=True) | Q(confirmed_at__isnull=False),
                name="emergency_call_confirmed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"emergency call for {self.handoff_id} at {self.dialed_at:%H:%M}"


class Amendment(models.Model):
    """A supervisor's correction to a closed case, with its reason. Appended, never edited."""

    handoff = models.ForeignKey(
        "handoff.Handoff", on_delete=models.CASCADE, related_name="amendments"
    )
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    at = models.DateTimeField(default=timezone.now)
    reason = EncryptedTextField()
    text = EncryptedTextField(help_text="The correction.")

    def __str__(self) -> str:
        return f"amendment {self.pk} on {self.handoff_id}"
