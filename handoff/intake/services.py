"""Intake: what a platform's requests do to the database. Every write is one transaction."""

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone

from handoff.callbacks.services import callback_enqueue
from handoff.events import event_record
from handoff.intake import schema
from handoff.models import (
    OPEN_STATUSES,
    OWNED_STATUSES,
    CallbackEvent,
    Consent,
    EventKind,
    Handoff,
    MessageRole,
    Platform,
    Status,
    TranscriptMessage,
    WebhookDelivery,
    WithdrawReason,
    platform_status,
)
from handoff.queue.notify import case_changed_on_commit
from handoff.summary.tasks import summary_request_on_commit


@dataclass(frozen=True)
class Answer:
    """What the API says back; stored per webhook-id so a redelivery gets it again."""

    status: int
    body: dict[str, Any]
    location: str = ""
    replayed: bool = False


# Told at once to the counselor holding a case the platform withdrew. The case stays open: a
# person at imminent risk who leaves the chat is still at risk.
WITHDRAW_NOTICE: dict[str, str] = {
    WithdrawReason.USER_LEFT: "The platform says the person left the chat. The case stays with "
    "you: decide whether to keep trying to reach them.",
    WithdrawReason.CONSENT_REVOKED: "The platform says the person withdrew consent. The case "
    "stays with you: decide what their safety needs.",
    WithdrawReason.RESOLVED_ELSEWHERE: "The platform says this was resolved elsewhere. The case "
    "stays with you until you close it.",
}


class OpenCaseExists(Exception):
    def __init__(self, handoff_id: str) -> None:
        self.handoff_id = handoff_id


class CaseNotFound(Exception):
    pass


class CaseClosed(Exception):
    def __init__(self, status: str) -> None:
        self.status = status


def status_path(*, platform: Platform, handoff_id: str) -> str:
    return reverse(
        "intake:handoff-status", kwargs={"platform": platform.slug, "handoff_id": handoff_id}
    )


def delivery_answer(delivery: WebhookDelivery) -> Answer:
    return Answer(
        status=delivery.response_status,
        body=delivery.response_body,
        location=delivery.response_location,
        replayed=True,
    )


def delivery_find(*, platform: Platform, webhook_id: str) -> WebhookDelivery | None:
    return WebhookDelivery.objects.filter(platform=platform, webhook_id=webhook_id).first()


def _claim_delivery(
    *, platform: Platform, webhook_id: str, endpoint: str
) -> WebhookDelivery | None:
    """Insert the delivery row first: a concurrent copy of the same webhook-id blocks on the
    unique index until this transaction ends, then fails and replays our answer. Returns None
    when another copy already holds it."""
    try:
        with transaction.atomic():
            return WebhookDelivery.objects.create(
                platform=platform, webhook_id=webhook_id, endpoint=endpoint, response_status=0
            )
    except IntegrityError:
        return None


def delivery_replay(*, platform: Platform, webhook_id: str) -> Answer:
    delivery = WebhookDelivery.objects.get(platform=platform, webhook_id=webhook_id)
    if delivery.handoff_id is not None:
        handoff = Handoff.objects.filter(pk=delivery.handoff_id).first()
        if handoff is not None:
            with transaction.atomic():
                event_record(
                    handoff=handoff,
                    kind=EventKind.DUPLICATE_DELIVERY,
                    data={"webhook_id": webhook_id, "endpoint": delivery.endpoint},
                )
    return delivery_answer(delivery)


def _finish_delivery(delivery: WebhookDelivery, answer: Answer, handoff_id: Any) -> None:
    delivery.response_status = answer.status
    delivery.response_body = answer.body
    delivery.response_location = answer.location
    delivery.handoff_id = handoff_id
    delivery.save(
        update_fields=["response_status", "response_body", "response_location", "handoff_id"]
    )


def handoff_create(*, platform: Platform, webhook_id: str, data: schema.HandoffCreate) -> Answer:
    """Store a new case, its consent, contact, location and transcript, all or nothing.

    The delivery row, with its final answer, is the transaction's first insert: a concurrent copy
    of the same webhook-id waits on its unique index and then fails, and a concurrent delivery for
    the same conversation fails on handoff_unique_open_external_id. Either failure rolls the whole
    transaction back; which one it was is read afterwards. No savepoints, no second write."""
    handoff_id = uuid.uuid4()
    path = status_path(platform=platform, handoff_id=str(handoff_id))
    answer = Answer(
        status=202,
        body={"id": str(handoff_id), "status": Status.QUEUED.value, "status_url": path},
        location=path,
    )
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(
                platform=platform,
                webhook_id=webhook_id,
                endpoint="create",
                handoff_id=handoff_id,
                response_status=answer.status,
                response_body=answer.body,
                response_location=answer.location,
            )
            _handoff_insert(platform=platform, data=data, handoff_id=handoff_id)
    except IntegrityError:
        if WebhookDelivery.objects.filter(platform=platform, webhook_id=webhook_id).exists():
            return delivery_replay(platform=platform, webhook_id=webhook_id)
        existing = Handoff.objects.filter(
            platform=platform, external_id=data.external_id, status__in=OPEN_STATUSES
        ).first()
        if existing is None:
            raise
        raise OpenCaseExists(str(existing.id)) from None
    return answer


def _handoff_insert(
    *, platform: Platform, data: schema.HandoffCreate, handoff_id: uuid.UUID
) -> Handoff:
    contact = data.contact.model_dump(mode="json", exclude_none=True) if data.contact else None
    location = data.location.model_dump(mode="json", exclude_none=True) if data.location else None
    now = timezone.now()
    handoff = Handoff(
        id=handoff_id,
        platform=platform,
        external_id=data.external_id,
        status=Status.QUEUED,
        tier=data.risk.level,
        platform_level=data.risk.level,
        risk_score=data.risk.score,
        risk_model=data.risk.model or "",
        risk_categories=list(data.risk.categories),
        flagged_at=data.flagged_at,
        received_at=now,
        queued_at=now,
        language=(data.contact.language or "") if data.contact else "",
        preferred_channel=data.contact.preferred_channel if data.contact else "",
        has_phone=bool(data.contact and data.contact.phone),
        has_location=location is not None,
        contact=contact,
        location=location,
        metadata=data.metadata,
        transcript_version=len(data.transcript),
        # Asked for below, after commit; recorded here so the reconciler can find it if lost.
        summary_requested_version=len(data.transcript),
        summary_requested_at=now,
    )
    handoff.save(force_insert=True)
    Consent.objects.create(
        handoff=handoff,
        contact=data.consent.contact,
        share_profile=data.consent.share_profile,
        share_location=data.consent.share_location,
        granted_at=data.consent.granted_at,
        statement=data.consent.statement,
    )
    TranscriptMessage.objects.bulk_create(
        TranscriptMessage(
            handoff=handoff, seq=i, role=m.role, text=m.text, at=m.at, received_at=now
        )
        for i, m in enumerate(data.transcript)
    )
    event_record(
        handoff=handoff,
        kind=EventKind.RECEIVED,
        first=True,  # inserted just above: its chain starts here
        data={
            "messages": len(data.transcript),
            "platform_level": data.risk.level,
            "consent": {
                "share_profile": data.consent.share_profile,
                "share_location": data.consent.share_location,
            },
        },
    )
    callback_enqueue(handoff=handoff, event=CallbackEvent.QUEUED)
    case_changed_on_commit(handoff=handoff, owners=[], as_written=True)
    summary_request_on_commit(handoff=handoff, record=False)
    return handoff


# What the platform endpoints read of a case: nothing personal, and no time but the two the
# status shows, so a case with a time that cannot be read still takes the person's messages.
_PLATFORM_COLUMNS = ("id", "platform", "external_id", "status", "claimed_by", "version")
_STATUS_COLUMNS = (*_PLATFORM_COLUMNS, "tier_rank", "queued_at", "updated_at")


def handoff_for_platform(
    *, platform: Platform, handoff_id: str, lock: bool = False, times: bool = False
) -> Handoff:
    """The platform's case (`times`: with its queue time and last change, for the status)."""
    qs = Handoff.objects.filter(platform=platform, pk=handoff_id).only(
        *(_STATUS_COLUMNS if times else _PLATFORM_COLUMNS)
    )
    if lock:
        qs = qs.select_for_update()
    handoff = qs.first()
    if handoff is None:
        raise CaseNotFound
    return handoff


def queue_position(*, handoff: Handoff) -> int | None:
    """1-based place in the live queue (tier first, then time waiting), or None if not queued.
    Reads only columns of the handoff_live_queue index."""
    if handoff.status != Status.QUEUED:
        return None
    ahead = Handoff.objects.filter(status=Status.QUEUED).filter(
        Q(tier_rank__gt=handoff.tier_rank)
        | Q(tier_rank=handoff.tier_rank, queued_at__lt=handoff.queued_at)
        | Q(tier_rank=handoff.tier_rank, queued_at=handoff.queued_at, id__lt=handoff.id)
    )
    return ahead.count() + 1


def messages_append(
    *, platform: Platform, handoff_id: str, webhook_id: str, data: schema.MessagesAppend
) -> Answer:
    """Append the person's new messages to an open case, in order, exactly once."""
    with transaction.atomic():
        delivery = _claim_delivery(platform=platform, webhook_id=webhook_id, endpoint="messages")
        if delivery is not None:
            handoff = handoff_for_platform(platform=platform, handoff_id=handoff_id, lock=True)
            if handoff.status not in OPEN_STATUSES:
                raise CaseClosed(handoff.status)
            last = handoff.messages.aggregate(last=Max("seq"))["last"]
            start = -1 if last is None else last
            now = timezone.now()
            TranscriptMessage.objects.bulk_create(
                TranscriptMessage(
                    handoff=handoff,
                    seq=start + 1 + i,
                    role=MessageRole.USER,
                    text=m.text,
                    at=m.at,
                    received_at=now,
                )
                for i, m in enumerate(data.messages)
            )
            Handoff.objects.filter(pk=handoff.pk).update(
                transcript_version=F("transcript_version") + len(data.messages),
                version=F("version") + 1,
                updated_at=now,
            )
            handoff.refresh_from_db(fields=["transcript_version", "version"])
            event_record(
                handoff=handoff,
                kind=EventKind.MESSAGES_ADDED,
                data={
                    "count": len(data.messages),
                    "transcript_version": handoff.transcript_version,
                },
            )
            case_changed_on_commit(
                handoff=handoff,
                owners=[handoff.claimed_by_id] if handoff.claimed_by_id else [],
            )
            summary_request_on_commit(handoff=handoff)
            answer = Answer(
                status=202,
                body={
                    "id": str(handoff.id),
                    "status": platform_status(handoff.status),
                    "messages_accepted": len(data.messages),
                },
            )
            _finish_delivery(delivery, answer, handoff.id)
            return answer
    return delivery_replay(platform=platform, webhook_id=webhook_id)


def handoff_withdraw(
    *, platform: Platform, handoff_id: str, webhook_id: str, data: schema.Withdraw
) -> Answer:
    """The person left or revoked consent. Before a claim the case leaves the queue; after a
    claim it stays with its counselor, who is told at once and decides."""
    with transaction.atomic():
        delivery = _claim_delivery(platform=platform, webhook_id=webhook_id, endpoint="withdraw")
        if delivery is not None:
            handoff = handoff_for_platform(platform=platform, handoff_id=handoff_id, lock=True)
            now = timezone.now()
            if handoff.status == Status.QUEUED:
                handoff.status = Status.WITHDRAWN
                handoff.withdrawn_at = now
                handoff.withdrawn_reason = data.reason
                handoff.version += 1
                handoff.save(
                    update_fields=[
                        "status",
                        "withdrawn_at",
                        "withdrawn_reason",
                        "version",
                        "updated_at",
                    ]
                )
                event_record(
                    handoff=handoff, kind=EventKind.WITHDRAWN, data={"reason": data.reason}
                )
                case_changed_on_commit(handoff=handoff, owners=[])
            elif handoff.status in OWNED_STATUSES:
                handoff.withdrawn_at = now
                handoff.withdrawn_reason = data.reason
                handoff.version += 1
                handoff.save(
                    update_fields=["withdrawn_at", "withdrawn_reason", "version", "updated_at"]
                )
                event_record(
                    handoff=handoff,
                    kind=EventKind.WITHDRAW_AFTER_CLAIM,
                    data={"reason": data.reason, "counselor_id": handoff.claimed_by_id},
                )
                case_changed_on_commit(
                    handoff=handoff,
                    owners=[handoff.claimed_by_id] if handoff.claimed_by_id else [],
                    notice=WITHDRAW_NOTICE[data.reason],
                )
            answer = Answer(
                status=202, body={"id": str(handoff.id), "status": platform_status(handoff.status)}
            )
            _finish_delivery(delivery, answer, handoff.id)
            return answer
    return delivery_replay(platform=platform, webhook_id=webhook_id)
