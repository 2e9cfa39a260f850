"""What a counselor records between claim and close, and how a case closes.

Every function checks the actor through handoff.access, refuses closed cases (after closing the
record only grows by supervisor amendments), writes its event in the same transaction and tells
the dashboards after commit.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from counselors.models import User
from counselors.presence import online_staff
from handoff.access import PersonalView, can_act_on_case, is_supervisor, personal_view
from handoff.callbacks.services import callback_enqueue
from handoff.directory.services import CenterMatch, emergency_center_for
from handoff.events import event_record
from handoff.jobs import CaseRun
from handoff.models import (
    DISPATCH_FINAL,
    OWNED_STATUSES,
    AlertKind,
    Amendment,
    CallbackEvent,
    ContactAttempt,
    ContactChannel,
    ContactResult,
    DispatchStatus,
    Disposition,
    EmergencyCall,
    EmergencyCenter,
    EventKind,
    FollowUp,
    Handoff,
    MessageRole,
    MobileCrisisDispatch,
    MobileCrisisStatusUpdate,
    MobileCrisisTeam,
    NoConsentReason,
    Note,
    Outcome,
    RiskAssessment,
    Status,
    Tier,
    TierSource,
    TranscriptMessage,
)
from handoff.monitoring import metrics
from handoff.queue import notify


class Refused(Exception):
    """The action is not allowed now; `errors` maps a field (or "") to what is wrong."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = errors if isinstance(errors, dict) else {"": errors}
        super().__init__("; ".join(self.errors.values()))


SAFETY_PLAN_FIELDS = (
    ("warning_signs", "Warning signs"),
    ("coping_steps", "Things I can do on my own"),
    ("people_and_places", "People and places that help"),
    ("professional_contacts", "Professionals and services to contact"),
    ("safe_environment", "Making the environment safe"),
    ("reasons_for_living", "Reasons for living"),
)


def _locked(handoff_id: Any, actor: User) -> Handoff:
    handoff = (
        Handoff.objects.select_for_update().select_related("platform").filter(pk=handoff_id).first()
    )
    if handoff is None:
        raise Refused("No such case.")
    if handoff.status not in OWNED_STATUSES:
        raise Refused(f"This case is {handoff.get_status_display().lower()}; it cannot change.")
    if not can_act_on_case(actor, handoff):
        raise Refused("Only the counselor holding this case, or a supervisor, can do that.")
    return handoff


def _changed(handoff: Handoff) -> None:
    handoff.version += 1
    handoff.save(update_fields=["version", "updated_at"])
    owners = [handoff.claimed_by_id] if handoff.claimed_by_id else []
    notify.case_changed_on_commit(handoff=handoff, owners=owners)


def _not_future(value: datetime, field: str) -> None:
    if value > timezone.now() + timedelta(minutes=1):
        raise Refused({field: "This time is in the future."})


# --- contact attempts, notes, assessment, relay --------------------------------------------


def contact_attempt_record(
    *, handoff_id: Any, counselor: User, channel: str, result: str, at: datetime | None = None
) -> ContactAttempt:
    errors = {}
    if channel not in ContactChannel.values:
        errors["channel"] = "Choose phone, text or chat."
    if result not in ContactResult.values:
        errors["result"] = "Choose what happened."
    if errors:
        raise Refused(errors)
    at = at or timezone.now()
    _not_future(at, "at")
    with transaction.atomic():
        handoff = _locked(handoff_id, counselor)
        attempt = ContactAttempt.objects.create(
            handoff=handoff, counselor=counselor, channel=channel, result=result, at=at
        )
        if result == ContactResult.REACHED and handoff.status == Status.CLAIMED:
            handoff.status = Status.IN_CONTACT
            handoff.save(update_fields=["status", "updated_at"])
        event_record(
            handoff=handoff,
            kind=EventKind.CONTACT_ATTEMPT,
            actor=counselor,
            data={"channel": channel, "result": result},
        )
        _changed(handoff)
    return attempt


def note_add(*, handoff_id: Any, author: User, text: str) -> Note:
    text = text.strip()
    if not text:
        raise Refused({"text": "Write the note first."})
    with transaction.atomic():
        handoff = _locked(handoff_id, author)
        note = Note.objects.create(handoff=handoff, author=author, text=text)
        event_record(
            handoff=handoff, kind=EventKind.NOTE_ADDED, actor=author, data={"note": note.pk}
        )
        _changed(handoff)
    return note


def note_edit(*, note_id: int, author: User, text: str) -> Note:
    """An edit appends a new note that supersedes the old one; the history stays."""
    text = text.strip()
    if not text:
        raise Refused({"text": "A note cannot be emptied; write the correction."})
    with transaction.atomic():
        old = Note.objects.select_for_update().filter(pk=note_id).first()
        if old is None:
            raise Refused("No such note.")
        handoff = _locked(old.handoff_id, author)
        if old.author_id != author.pk:
            raise Refused("Only the note's author can edit it.")
        if Note.objects.filter(supersedes=old).exists():
            raise Refused("This note was already edited; edit the newest version.")
        note = Note.objects.create(handoff=handoff, author=author, text=text, supersedes=old)
        event_record(
            handoff=handoff,
            kind=EventKind.NOTE_EDITED,
            actor=author,
            data={"note": note.pk, "supersedes": old.pk},
        )
        _changed(handoff)
    return note


def assessment_record(
    *,
    handoff_id: Any,
    counselor: User,
    confirmed: list[str],
    cleared: list[str],
    tier: str,
    override_reason: str = "",
) -> RiskAssessment:
    """The counselor confirms or clears the machine's suggested indicators and sets the tier.
    A tier other than the machine's needs a reason, and the change is recorded."""
    if tier not in Tier.values:
        raise Refused({"tier": "Choose a tier."})
    with transaction.atomic():
        handoff = _locked(handoff_id, counselor)
        machine = handoff.summary_tier
        if machine and tier != machine and not override_reason.strip():
            raise Refused({"override_reason": "Say why your tier differs from the machine's."})
        assessment = RiskAssessment.objects.create(
            handoff=handoff,
            counselor=counselor,
            indicators={"confirmed": sorted(set(confirmed)), "cleared": sorted(set(cleared))},
            tier=tier,
            machine_tier=machine,
            override_reason=override_reason.strip()[:500],
        )
        event_record(
            handoff=handoff,
            kind=EventKind.ASSESSMENT_RECORDED,
            actor=counselor,
            data={"assessment": assessment.pk, "tier": tier, "machine_tier": machine},
        )
        if tier != handoff.tier or handoff.tier_source != TierSource.COUNSELOR:
            event_record(
                handoff=handoff,
                kind=EventKind.TIER_CHANGED,
                actor=counselor,
                data={"from": handoff.tier, "to": tier, "machine": machine, "by": "counselor"},
            )
            handoff.tier = tier
            handoff.tier_source = TierSource.COUNSELOR
            handoff.save(update_fields=["tier", "tier_source", "updated_at"])
        _changed(handoff)
    return assessment


def relay_message_send(*, handoff_id: Any, counselor: User, text: str) -> TranscriptMessage:
    """The counselor's words for the person, carried by the platform (a handoff.message
    callback). The message shows as sent or failed from that callback's delivery."""
    text = text.strip()
    if not text:
        raise Refused({"text": "Write the message first."})
    if len(text) > 4000:
        raise Refused({"text": "Keep a message under 4,000 characters."})
    with transaction.atomic():
        handoff = _locked(handoff_id, counselor)
        last = handoff.messages.order_by("-seq").values_list("seq", flat=True).first()
        # The callback carries the words from this line when it is sent: one encrypted copy.
        callback = callback_enqueue(handoff=handoff, event=CallbackEvent.MESSAGE)
        message = TranscriptMessage.objects.create(
            handoff=handoff,
            seq=(last if last is not None else -1) + 1,
            role=MessageRole.COUNSELOR,
            text=text,
            at=timezone.now(),
            author=counselor,
            callback=callback,
        )
        event_record(
            handoff=handoff,
            kind=EventKind.MESSAGE_RELAYED,
            actor=counselor,
            data={"message": message.seq, "callback": str(callback.id)},
        )
        _changed(handoff)
    return message


# --- closing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CloseRequest:
    outcome: str
    details: dict[str, str]
    safety_plan: dict[str, str] | None = None
    follow_up_at: datetime | None = None


REQUIRED_DETAILS: dict[str, tuple[tuple[str, str], ...]] = {
    Outcome.DEESCALATED: (("what_helped", "Say what helped."),),
    Outcome.NOT_AT_RISK: (("reason", "Say why the person is not at risk."),),
    Outcome.REFERRED: (("referred_to", "Say what the person was referred to."),),
    Outcome.NO_CONTACT: (),
}


def _close_checks(handoff: Handoff, request: CloseRequest) -> dict[str, str]:
    errors: dict[str, str] = {}
    if request.outcome == Outcome.MOBILE_CRISIS:
        return {"outcome": "A mobile crisis case closes when the team's result is recorded."}
    if request.outcome == Outcome.EMERGENCY_CALL:
        return {
            "outcome": "An emergency case closes when you record whether services reached "
            "the person."
        }
    if request.outcome not in REQUIRED_DETAILS:
        return {"outcome": "Choose an outcome."}
    for field, message in REQUIRED_DETAILS[request.outcome]:
        if not request.details.get(field, "").strip():
            errors[field] = message
    if request.outcome == Outcome.NO_CONTACT and not handoff.contact_attempts.exists():
        errors["attempts"] = "Record the contact attempts you made before closing as no contact."
    if request.follow_up_at is not None:
        if request.outcome != Outcome.DEESCALATED:
            errors["follow_up_at"] = "A follow-up goes with a de-escalated case."
        elif request.follow_up_at <= timezone.now():
            errors["follow_up_at"] = "A follow-up must be in the future."
    if request.safety_plan is not None and request.outcome != Outcome.DEESCALATED:
        errors["safety_plan"] = "A safety plan goes with a de-escalated case."
    return errors


def _still_open(handoff: Handoff) -> str:
    """Why the case cannot close yet, or "". Nobody looks at a closed case again, so a team on
    its way, or a 911 call not yet known to have reached the person, would be forgotten there:
    its result must be recorded first (a team's final status, or the call's confirmation, then
    closes the case itself)."""
    dispatch = handoff.dispatches.exclude(status__in=DISPATCH_FINAL).first()
    if dispatch is not None:
        return (
            f"The mobile crisis team ({dispatch.team_name}) is still "
            f"{dispatch.get_status_display().lower()}. Record its status first (completed or "
            "cancelled, with its result): that closes the case."
        )
    if handoff.emergency_calls.filter(contact_confirmed__isnull=True).exists():
        return (
            "An emergency call awaits confirmation that services reached the person. Record "
            "it first: that closes the case."
        )
    return ""


def _close(
    handoff: Handoff,
    *,
    counselor: User,
    outcome: str,
    details: dict[str, Any],
    safety_plan: dict[str, str] | None = None,
) -> Disposition:
    """Close the locked case. Refused (the caller's transaction then rolls back whole) while
    anything it set going is unresolved."""
    if reason := _still_open(handoff):
        raise Refused({"outcome": reason})
    now = timezone.now()
    disposition = Disposition.objects.create(
        handoff=handoff,
        outcome=outcome,
        counselor=counselor,
        closed_at=now,
        details=details,
        safety_plan=safety_plan,
    )
    owner = handoff.claimed_by_id
    handoff.status = Status.CLOSED
    handoff.outcome = outcome
    handoff.closed_at = now
    handoff.version += 1
    handoff.save(update_fields=["status", "outcome", "closed_at", "version", "updated_at"])
    event_record(handoff=handoff, kind=EventKind.CLOSED, actor=counselor, data={"outcome": outcome})
    transaction.on_commit(lambda: metrics.case_closed(outcome=outcome))
    # The platform learns that the case closed, never how.
    callback_enqueue(handoff=handoff, event=CallbackEvent.CLOSED)
    notify.case_changed_on_commit(handoff=handoff, owners=[owner] if owner else [])
    return disposition


def handoff_close(*, handoff_id: Any, counselor: User, request: CloseRequest) -> Disposition:
    with transaction.atomic():
        handoff = _locked(handoff_id, counselor)
        errors = _close_checks(handoff, request)
        if errors:
            raise Refused(errors)
        details = {k: v.strip() for k, v in request.details.items() if v and v.strip()}
        if request.outcome == Outcome.NO_CONTACT:
            details["attempts"] = str(handoff.contact_attempts.count())
        plan = None
        if request.safety_plan:
            plan = {k: v.strip() for k, v in request.safety_plan.items() if v and v.strip()}
        if request.follow_up_at is not None:
            FollowUp.objects.create(
                handoff=handoff, counselor=counselor, due_at=request.follow_up_at
            )
            details["follow_up_at"] = request.follow_up_at.isoformat()
        return _close(
            handoff,
            counselor=counselor,
            outcome=request.outcome,
            details=details,
            safety_plan=plan or None,
        )


# --- mobile crisis team -------------------------------------------------------------------


def dispatch_request(
    *,
    handoff_id: Any,
    counselor: User,
    team: MobileCrisisTeam | None,
    team_name: str = "",
    requested_at: datetime,
    reference: str = "",
) -> MobileCrisisDispatch:
    if team is not None and not team.active:
        raise Refused({"team": "That team is not in the directory."})
    name = team.name if team else team_name.strip()[:200]
    if not name:
        raise Refused({"team": "Choose a team, or name one that is not in the directory."})
    _not_future(requested_at, "requested_at")
    with transaction.atomic():
        handoff = _locked(handoff_id, counselor)
        if handoff.dispatches.exclude(status__in=DISPATCH_FINAL).exists():
            raise Refused({"team": "A team is already on its way; record its outcome first."})
        dispatch = MobileCrisisDispatch.objects.create(
            handoff=handoff,
            team=team,
            team_name=name,
            requested_by=counselor,
            requested_at=requested_at,
            reference=reference.strip()[:100],
        )
        MobileCrisisStatusUpdate.objects.create(
            dispatch=dispatch,
            status=DispatchStatus.REQUESTED,
            at=requested_at,
            recorded_by=counselor,
        )
        event_record(
            handoff=handoff,
            kind=EventKind.MOBILE_CRISIS_REQUESTED,
            actor=counselor,
            # The team's name is on the request's row (encrypted: a typed one may say anything).
            data={"dispatch": dispatch.pk, "from_directory": team is not None},
        )
        _changed(handoff)
    return dispatch


def dispatch_update(
    *,
    dispatch_id: int,
    counselor: User,
    status: str,
    at: datetime,
    note: str = "",
    result: str = "",
) -> MobileCrisisDispatch:
    """A status from the team. Completed or cancelled with its result closes the case, unless
    an emergency call still awaits confirmation: that confirmation then closes it."""
    if status not in DispatchStatus.values or status == DispatchStatus.REQUESTED:
        raise Refused({"status": "Choose the team's new status."})
    final = status in DISPATCH_FINAL
    if final and not result.strip():
        raise Refused({"result": "Record the team's result to close the case."})
    _not_future(at, "at")
    with transaction.atomic():
        dispatch = MobileCrisisDispatch.objects.select_for_update().filter(pk=dispatch_id).first()
        if dispatch is None:
            raise Refused("No such request.")
        handoff = _locked(dispatch.handoff_id, counselor)
        if dispatch.status in DISPATCH_FINAL:
            raise Refused("This request is already finished.")
        if at < dispatch.requested_at:
            raise Refused({"at": "This is before the team was requested."})
        MobileCrisisStatusUpdate.objects.create(
            dispatch=dispatch, status=status, at=at, recorded_by=counselor, note=note.strip()[:500]
        )
        dispatch.status = status
        if final:
            dispatch.result = result.strip()
        dispatch.save(update_fields=["status", "result"])
        event_record(
            handoff=handoff,
            kind=EventKind.MOBILE_CRISIS_UPDATE,
            actor=counselor,
            data={"dispatch": dispatch.pk, "status": status},
        )
        if final and not _still_open(handoff):
            _close(
                handoff,
                counselor=counselor,
                outcome=Outcome.MOBILE_CRISIS,
                details={
                    "team": dispatch.team_name,
                    "team_status": status,
                    "result": dispatch.result,
                    "reference": dispatch.reference,
                },
            )
        else:
            _changed(handoff)
    return dispatch


# --- emergency call -----------------------------------------------------------------------


@dataclass(frozen=True)
class EmergencyCallRecord:
    center: EmergencyCenter | None
    center_name: str
    center_number: str
    dialed_at: datetime | None
    answered_at: datetime | None
    call_taker: str
    incident_number: str
    relayed: str
    person_consented: bool | None
    no_consent_reason: str
    supervisor_consulted: User | None


def emergency_center_suggested(*, personal: PersonalView) -> CenterMatch:
    """The directory's center for the location the person consented to share: shown on the
    emergency screen, and kept with the call the counselor records."""
    return emergency_center_for(location=personal.location)


def emergency_center_choices(*, match: CenterMatch) -> list[EmergencyCenter]:
    """The centers a counselor may call instead of the suggestion (a directory entry can be
    stale): those of its state, or every active one when there is no suggestion."""
    centers = EmergencyCenter.objects.filter(active=True)
    if match.center is not None:
        centers = centers.filter(state=match.center.state)
    return list(centers.order_by("state", "name"))


def _call_checks(
    record: EmergencyCallRecord,
) -> tuple[EmergencyCenter | None, User | None, dict[str, str]]:
    errors: dict[str, str] = {}
    center = record.center
    typed = record.center_name.strip() or record.center_number.strip()
    if center is not None and typed:
        # Which one was dialed must be beyond doubt in the record.
        errors["center"] = (
            "Choose a center from the directory, or choose “not in the directory” and enter "
            "the center you called by hand; not both."
        )
    elif center is not None:
        if not center.active:
            errors["center"] = "That emergency center is not in the directory."
    elif not record.center_name.strip() or not record.center_number.strip():
        errors["center"] = "Name the emergency center you called and its number."
    if record.dialed_at is None:
        errors["dialed_at"] = "When did you dial?"
    else:
        if record.dialed_at > timezone.now() + timedelta(minutes=1):
            errors["dialed_at"] = "This time is in the future."
        if record.answered_at is not None and record.answered_at < record.dialed_at:
            errors["answered_at"] = "The call cannot be answered before it was dialed."
    if not record.relayed.strip():
        errors["relayed"] = "Record what you told the call-taker."
    if record.person_consented is None:
        errors["person_consented"] = "Did the person agree to emergency services being called?"
    elif not record.person_consented and record.no_consent_reason not in NoConsentReason.values:
        errors["no_consent_reason"] = "Say why you called without the person's agreement."
    consulted = record.supervisor_consulted
    if consulted is not None and not is_supervisor(consulted):
        errors["supervisor_consulted"] = "Choose the supervisor you consulted."
    return center, consulted, errors


def emergency_call_record(
    *, handoff_id: Any, counselor: User, record: EmergencyCallRecord
) -> EmergencyCall:
    """Record a call the counselor placed by hand. The case then awaits confirmation that
    emergency services reached the person. The directory's suggestion is kept beside the center
    called: a counselor overriding it is how a stale entry comes to light."""
    center, consulted, errors = _call_checks(record)
    if errors:
        raise Refused(errors)
    assert record.dialed_at is not None
    assert record.person_consented is not None
    with transaction.atomic():
        handoff = _locked(handoff_id, counselor)
        personal = personal_view(counselor, handoff)
        suggested = emergency_center_suggested(personal=personal).center
        call = EmergencyCall.objects.create(
            handoff=handoff,
            counselor=counselor,
            center=center,
            center_name=center.name if center else record.center_name.strip()[:200],
            center_number=center.emergency_line if center else record.center_number.strip()[:20],
            dialed_at=record.dialed_at,
            answered_at=record.answered_at,
            call_taker=record.call_taker.strip()[:200],
            incident_number=record.incident_number.strip()[:100],
            relayed=record.relayed.strip(),
            person_consented=record.person_consented,
            no_consent_reason="" if record.person_consented else record.no_consent_reason,
            supervisor_consulted=consulted,
            suggested_center=suggested,
        )
        handoff.status = Status.AWAITING_CONFIRMATION
        handoff.save(update_fields=["status", "updated_at"])
        event_record(
            handoff=handoff,
            kind=EventKind.EMERGENCY_CALL_RECORDED,
            actor=counselor,
            # The centers called and suggested are on the call's row: they say where the
            # person is, which the log, never erased, must not.
            data={
                "call": call.pk,
                "from_directory": center is not None,
                "suggested": suggested is not None,
                "overridden": suggested is not None and center != suggested,
                "person_consented": record.person_consented,
                "supervisor_consulted": consulted.pk if consulted else None,
            },
        )
        _changed(handoff)
    return call


def emergency_call_confirm(
    *, call_id: int, counselor: User, contact_confirmed: bool | None, note: str = ""
) -> EmergencyCall:
    """Whether emergency services reached the person. Recording it closes the case."""
    if contact_confirmed is None:
        raise Refused({"contact_confirmed": "Did emergency services reach the person?"})
    if not contact_confirmed and not note.strip():
        raise Refused({"note": "Say what you know, and what happens next."})
    with transaction.atomic():
        call = EmergencyCall.objects.select_for_update().filter(pk=call_id).first()
        if call is None:
            raise Refused("No such call.")
        handoff = _locked(call.handoff_id, counselor)
        if call.contact_confirmed is not None:
            raise Refused("The outcome of this call is already recorded.")
        call.contact_confirmed = contact_confirmed
        call.confirmation_note = note.strip()[:500]
        call.confirmed_at = timezone.now()
        call.save(update_fields=["contact_confirmed", "confirmation_note", "confirmed_at"])
        event_record(
            handoff=handoff,
            kind=EventKind.EMERGENCY_CONFIRMATION,
            actor=counselor,
            data={"call": call.pk, "contact_confirmed": contact_confirmed},
        )
        _close(
            handoff,
            counselor=counselor,
            outcome=Outcome.EMERGENCY_CALL,
            details={
                "center": call.center_name,
                "incident_number": call.incident_number,
                "contact_confirmed": "yes" if contact_confirmed else "no",
                "note": call.confirmation_note,
            },
        )
    return call


def emergency_confirmations_overdue() -> int:
    """Flag to supervisors every call still unconfirmed past the set time, once each."""
    cutoff = timezone.now() - timedelta(minutes=settings.EMERGENCY_CONFIRMATION_ALERT_MINUTES)
    flagged = 0
    run = CaseRun("emergency confirmations overdue")
    due = EmergencyCall.objects.filter(
        contact_confirmed__isnull=True, overdue_flagged_at__isnull=True, recorded_at__lt=cutoff
    ).values_list("pk", "handoff_id")
    for pk, handoff_id in list(due[:200]):
        with run.case(handoff_id):
            if not EmergencyCall.objects.filter(pk=pk, overdue_flagged_at__isnull=True).update(
                overdue_flagged_at=timezone.now()
            ):
                continue
            event_record(
                handoff=_event_target(handoff_id),
                kind=EventKind.CONFIRMATION_OVERDUE,
                data={"call": pk, "minutes": settings.EMERGENCY_CONFIRMATION_ALERT_MINUTES},
            )
            minutes = settings.EMERGENCY_CONFIRMATION_ALERT_MINUTES
            text = f"Emergency call not confirmed after {minutes} min: case {handoff_id}."
            notify.alert_raise(
                handoff_id=str(handoff_id), kind=AlertKind.CONFIRMATION_OVERDUE, text=text
            )
            flagged += 1
    run.finish()
    return flagged


def _event_target(handoff_id: Any) -> Handoff:
    """What a job's event needs of its case (id and platform): none of its times are read."""
    return Handoff.objects.only("id", "platform").get(pk=handoff_id)


# --- follow-ups and amendments ------------------------------------------------------------


def follow_ups_remind() -> int:
    """Remind a follow-up's counselor when it is due, or the whole floor if they are off."""
    now = timezone.now()
    reminded = 0
    run = CaseRun("follow-up reminders")
    online = set(online_staff().values_list("pk", flat=True))
    for pk, handoff_id, counselor_id in list(
        FollowUp.objects.filter(
            due_at__lte=now, reminded_at__isnull=True, done_at__isnull=True
        ).values_list("pk", "handoff_id", "counselor_id")[:200]
    ):
        with run.case(handoff_id):
            if not FollowUp.objects.filter(pk=pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            to_floor = counselor_id not in online
            event_record(
                handoff=_event_target(handoff_id),
                kind=EventKind.FOLLOW_UP_DUE,
                data={"follow_up": pk, "to": "floor" if to_floor else counselor_id},
            )
            notify.alert_counselor_on_commit(
                handoff_id=str(handoff_id),
                text=f"Follow-up due now for case {handoff_id}.",
                user_id=None if to_floor else counselor_id,
            )
            notify.alert_raise(
                handoff_id=str(handoff_id),
                kind=AlertKind.FOLLOW_UP_DUE,
                text="Follow-up due"
                + (": its counselor is off shift." if to_floor else " for its counselor."),
                toast=False,
            )
            reminded += 1
    run.finish()
    return reminded


def amendment_add(*, handoff_id: Any, supervisor: User, reason: str, text: str) -> Amendment:
    """A closed record does not change; a supervisor appends a correction with its reason."""
    if not is_supervisor(supervisor):
        raise Refused("Only a supervisor can amend a closed case.")
    errors = {}
    if not reason.strip():
        errors["reason"] = "Say why the record is being amended."
    if not text.strip():
        errors["text"] = "Write the correction."
    if errors:
        raise Refused(errors)
    with transaction.atomic():
        handoff = Handoff.objects.select_for_update().filter(pk=handoff_id).first()
        if handoff is None:
            raise Refused("No such case.")
        if handoff.status != Status.CLOSED:
            raise Refused("Only a closed case is amended; an open one is edited by its counselor.")
        if handoff.purged_at is not None:
            raise Refused("This case's personal data was erased: nothing is added to it.")
        amendment = Amendment.objects.create(
            handoff=handoff, supervisor=supervisor, reason=reason.strip()[:500], text=text.strip()
        )
        event_record(
            handoff=handoff,
            kind=EventKind.AMENDED,
            actor=supervisor,
            data={"amendment": amendment.pk},
        )
    return amendment
