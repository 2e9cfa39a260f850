"""The handoff app's models, one module per subsystem. Importing this package registers them all;
`from handoff.models import X` is the way to reach any of them."""

from handoff.models.audit import AuditCheckpoint, EventChainHead, EventKind, HandoffEvent
from handoff.models.callbacks import Callback, CallbackAttempt, CallbackEvent, CallbackStatus
from handoff.models.case import (
    OPEN_STATUSES,
    OWNED_STATUSES,
    Consent,
    ContactStatus,
    Handoff,
    MessageRole,
    Outcome,
    Status,
    TierSource,
    TranscriptMessage,
    WithdrawReason,
    platform_status,
)
from handoff.models.directory import EmergencyCenter, EmergencyCenterPostalCode, MobileCrisisTeam
from handoff.models.intake import WebhookDelivery
from handoff.models.platform import Platform, PlatformSecret
from handoff.models.queue import QueueDelta
from handoff.models.reviews import Review
from handoff.models.summary import HandoffSummary, SummaryStatus
from handoff.models.supervision import Alert, AlertKind, Handover, HelpRequest, Release
from handoff.models.tier import Tier
from handoff.models.workspace import (
    DISPATCH_FINAL,
    Amendment,
    ContactAttempt,
    ContactChannel,
    ContactResult,
    DispatchStatus,
    Disposition,
    EmergencyCall,
    FollowUp,
    MobileCrisisDispatch,
    MobileCrisisStatusUpdate,
    NoConsentReason,
    Note,
    RiskAssessment,
)

__all__ = [
    "DISPATCH_FINAL",
    "OPEN_STATUSES",
    "OWNED_STATUSES",
    "Alert",
    "AlertKind",
    "Amendment",
    "AuditCheckpoint",
    "Callback",
    "CallbackAttempt",
    "CallbackEvent",
    "CallbackStatus",
    "Consent",
    "ContactAttempt",
    "ContactChannel",
    "ContactResult",
    "ContactStatus",
    "DispatchStatus",
    "Disposition",
    "EmergencyCall",
    "EmergencyCenter",
    "EmergencyCenterPostalCode",
    "EventChainHead",
    "EventKind",
    "FollowUp",
    "Handoff",
    "HandoffEvent",
    "HandoffSummary",
    "Handover",
    "HelpRequest",
    "MessageRole",
    "MobileCrisisDispatch",
    "MobileCrisisStatusUpdate",
    "MobileCrisisTeam",
    "NoConsentReason",
    "Note",
    "Outcome",
    "Platform",
    "PlatformSecret",
    "QueueDelta",
    "Release",
    "Review",
    "RiskAssessment",
    "Status",
    "SummaryStatus",
    "Tier",
    "TierSource",
    "TranscriptMessage",
    "WebhookDelivery",
    "WithdrawReason",
    "platform_status",
]
