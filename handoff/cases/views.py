"""The case page and its actions. Thin: forms parse, services decide, the page re-renders with
the service's refusal beside the field it concerns."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django import forms
from django.db import DataError, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from counselors.models import User
from counselors.sessions import background
from handoff.access import (
    can_act_on_case,
    can_export_case,
    can_view_case,
    is_supervisor,
    personal_view,
)
from handoff.audit.selectors import audit_rows, case_trace
from handoff.cases import forms as case_forms
from handoff.dbtypes import is_unreadable
from handoff.decorators import staff_required
from handoff.directory.services import mobile_crisis_teams_for
from handoff.dispositions import services
from handoff.dispositions.contact_status import contact_status_set
from handoff.dispositions.script import call_script, latest_summary
from handoff.events import event_record, refusal_record, view_record_shared
from handoff.models import ContactStatus, EventKind, Handoff, Note, Status
from handoff.queue.selectors import colleagues_for_transfer
from handoff.retention import services as retention
from handoff.reviews.selectors import needs_review
from handoff.summary.services import evidence_seqs
from handoff.types import StaffRequest

logger = logging.getLogger(__name__)

# The key that sets each contact status on the case page (static/console/workspace.js reads it
# from the button), with the status's words.
CONTACT_STATUS_KEYS = {
    ContactStatus.ON_PHONE: "p",
    ContactStatus.TEXTING: "t",
    ContactStatus.WAITING: "w",
}

# The name each form has in the template of the page it posts from.
FORM_NAMES: dict[type[forms.Form], str] = {
    case_forms.ContactAttemptForm: "attempt_form",
    case_forms.ContactStatusForm: "contact_status_form",
    case_forms.NoteForm: "note_form",
    case_forms.RelayForm: "relay_form",
    case_forms.AssessmentForm: "assessment_form",
    case_forms.CloseForm: "close_form",
    case_forms.DispatchForm: "dispatch_form",
    case_forms.DispatchUpdateForm: "dispatch_update_form",
    case_forms.ConfirmForm: "confirm_form",
    case_forms.AmendmentForm: "amend_form",
    case_forms.EmergencyCallForm: "call_form",
    case_forms.EraseForm: "erase_form",
}
# The case page's forms that start empty (the assessment form starts from the case).
CASE_PAGE_BLANK_FORMS = (
    case_forms.ContactAttemptForm,
    case_forms.ContactStatusForm,
    case_forms.NoteForm,
    case_forms.RelayForm,
    case_forms.CloseForm,
    case_forms.DispatchForm,
    case_forms.DispatchUpdateForm,
    case_forms.ConfirmForm,
    case_forms.AmendmentForm,
    case_forms.EraseForm,
)


def _case_or_404(handoff_id: UUID) -> Handoff:
    handoff = Handoff.objects.select_related("platform", "claimed_by").filter(pk=handoff_id).first()
    if handoff is None:
        raise Http404("No such case.")
    return handoff


def _refused_page(request: StaffRequest, handoff: Handoff, *, export: bool = False) -> HttpResponse:
    _refusal_trace(request, handoff)
    context = {"case": handoff, "owner": handoff.claimed_by, "export": export}
    return render(request, "cases/refused.html", context, status=403)


def _door(request: StaffRequest) -> str:
    """Which door a trace names: the URL's name (case-detail, case-live, case-note, ...)."""
    match = request.resolver_match
    return (match.url_name if match else None) or "unknown"


def _refusal_trace(request: StaffRequest, handoff: Handoff) -> None:
    refusal_record(handoff=handoff, actor=request.user, door=_door(request))


def suggested_indicators(summary: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not summary:
        return []
    return [(i["code"], f"{i['domain']}: {i['label']}") for i in summary.get("indicators", [])]


def case_context(request: StaffRequest, handoff: Handoff) -> dict[str, Any]:
    """Everything the case page (and the export) shows. Reads only: the caller records the view."""
    personal = personal_view(request.user, handoff)
    messages = list(handoff.messages.select_related("callback", "author").order_by("seq"))
    summary = latest_summary(handoff)
    if summary:
        summary = evidence_seqs(summary, messages)  # evidence links point at the quoted message
    notes = list(handoff.notes.select_related("author", "supersedes").order_by("created_at"))
    superseded = {n.supersedes_id for n in notes if n.supersedes_id}
    context: dict[str, Any] = {
        "case": handoff,
        "consent": personal.consent,
        "summary": summary,
        "personal": personal,
        "messages_list": messages,
        "can_act": can_act_on_case(request.user, handoff),
        "is_owner": handoff.claimed_by_id == request.user.pk,
        "is_supervisor": is_supervisor(request.user),
        "can_export": can_export_case(request.user, handoff),
        "colleagues": list(colleagues_for_transfer(exclude=request.user)),
        "notes": [n for n in notes if n.pk not in superseded],
        "note_history": [n for n in notes if n.pk in superseded],
        "attempts": list(handoff.contact_attempts.select_related("counselor")),
        "assessment": handoff.assessments.order_by("-created_at").first(),
        "assessment_form": case_forms.AssessmentForm.for_case(
            tier=handoff.tier, suggested=suggested_indicators(summary)
        ),
        "dispatches": list(handoff.dispatches.prefetch_related("updates")),
        "teams": mobile_crisis_teams_for(location=personal.location),
        "calls": list(handoff.emergency_calls.select_related("supervisor_consulted")),
        "disposition": getattr(handoff, "disposition", None)
        if handoff.status == Status.CLOSED
        else None,
        "amendments": list(handoff.amendments.select_related("supervisor")),
        # Its counselor reads the supervisor's review here; a supervisor signs off here.
        "reviews": list(handoff.reviews.select_related("supervisor")),
        "review_due": is_supervisor(request.user) and needs_review(handoff),
        "handovers": list(handoff.handovers.select_related("by", "from_user", "to_user")),
        "releases": [r for r in handoff.releases.select_related("by") if r.reason],
        "can_erase": (
            is_supervisor(request.user)
            and handoff.purged_at is None
            and handoff.status in retention.ENDED_STATUSES
        ),
        "help_waiting": handoff.help_requests.filter(answered_at__isnull=True).first(),
        "withdrawn_notice": handoff.withdrawn_reason and handoff.status != Status.WITHDRAWN,
        "contact_statuses": [(s.value, s.label, key) for s, key in CONTACT_STATUS_KEYS.items()],
    }
    if context["is_supervisor"]:
        events, context["trace_total"] = case_trace(handoff.id)
        context["trace"] = audit_rows(events)
    for form_class in CASE_PAGE_BLANK_FORMS:
        context[FORM_NAMES[form_class]] = form_class()
    # A team is requested, or its news recorded, as the page is open: the time starts at now
    # (to the minute), one key less at 2 a.m.; the counselor corrects it if it was earlier.
    now = _now_minute()
    context["dispatch_form"] = case_forms.DispatchForm(initial={"requested_at": now})
    context["dispatch_update_form"] = case_forms.DispatchUpdateForm(initial={"at": now})
    return context


def _now_minute() -> datetime:
    return timezone.now().replace(second=0, microsecond=0)


@require_GET
@staff_required
def case_detail(request: StaffRequest, handoff_id: UUID) -> HttpResponse:
    try:
        # In one transaction, so a read that fails leaves the connection usable for the answer.
        with transaction.atomic():
            handoff = _case_or_404(handoff_id)
            if not can_view_case(request.user, handoff):
                return _refused_page(request, handoff)
            event_record(handoff=handoff, kind=EventKind.VIEWED, actor=request.user)
            context = case_context(request, handoff)
            personal = context["personal"]
            if personal.contact or personal.location:
                event_record(
                    handoff=handoff,
                    kind=EventKind.VIEWED_PERSONAL,
                    actor=request.user,
                    data=personal.shown,
                )
            context["unreadable_times"] = _has_unreadable_times(context)
            return render(request, "cases/detail.html", context)
    except (DataError, OverflowError) as exc:
        # A stored time Python cannot hold, where handoff/dbtypes.py did not catch it: the
        # counselor is told what is wrong instead of getting an error page; logged by id only.
        logger.error("case %s: page not shown (%s)", handoff_id, type(exc).__name__)
        return render(request, "cases/unreadable.html", {"case_id": handoff_id})


# Every time the case page shows, for the notice that one of them could not be read.
_CASE_TIMES = (
    "flagged_at",
    "received_at",
    "queued_at",
    "updated_at",
    "claimed_at",
    "closed_at",
    "withdrawn_at",
    "breached_at",
)


def _has_unreadable_times(context: dict[str, Any]) -> bool:
    case = context["case"]
    consent = context.get("consent")
    times = [getattr(case, name) for name in _CASE_TIMES]
    times += [consent.granted_at] if consent else []
    times += [m.at for m in context.get("messages_list", [])]
    return any(is_unreadable(t) for t in times)


@require_GET
@staff_required
@background  # the page asks by itself: not the person being active
def case_live(request: StaffRequest, handoff_id: UUID) -> HttpResponse:
    """The parts of the case page that change while it is open (for the live refresh)."""
    handoff = _case_or_404(handoff_id)
    if not can_view_case(request.user, handoff):
        return _refused_page(request, handoff)
    # The transcript again: a view, shared with the page load and other refreshes near it.
    view_record_shared(handoff=handoff, actor=request.user, door=_door(request))
    context = {
        "case": handoff,
        "messages_list": list(
            handoff.messages.select_related("callback", "author").order_by("seq")
        ),
        "summary": latest_summary(handoff),
        "withdrawn_notice": handoff.withdrawn_reason and handoff.status != Status.WITHDRAWN,
    }
    return render(request, "cases/detail.html#live", context)


def _case_page_again(request: StaffRequest, handoff: Handoff) -> dict[str, Any]:
    # The page again, transcript and all: a view, shared with the page load before the post.
    view_record_shared(handoff=handoff, actor=request.user, door=_door(request))
    return case_context(request, handoff)


def emergency_context(request: StaffRequest, handoff: Handoff) -> dict[str, Any]:
    personal = personal_view(request.user, handoff)
    match = services.emergency_center_suggested(personal=personal)
    script = call_script(
        handoff=handoff, personal=personal, counselor_name=str(request.user), match=match
    )
    return {
        "case": handoff,
        "personal": personal,
        "match": match,
        "script": script,
        # The suggestion is chosen unless the counselor picks another center or types one.
        "call_form": case_forms.EmergencyCallForm(
            initial={
                "center": match.center.pk if match.center else None,
                "dialed_at": _now_minute(),
            }
        ),
        "centers": services.emergency_center_choices(match=match),
        "can_act": can_act_on_case(request.user, handoff),
    }


@dataclass(frozen=True)
class Page:
    """A page forms post from: shown again, with the posted form and its errors, when refused."""

    template: str
    context: Callable[[StaffRequest, Handoff], dict[str, Any]]


CASE_PAGE = Page("cases/detail.html", _case_page_again)
EMERGENCY_PAGE = Page("cases/emergency.html", emergency_context)


def _action(
    request: StaffRequest,
    handoff_id: UUID,
    form: forms.Form,
    do: Callable[[dict[str, Any], Handoff], object],
    *,
    anchor: str = "",
    page: Page = CASE_PAGE,
    allowed: Callable[[User, Handoff], bool] = can_act_on_case,
) -> HttpResponse:
    handoff = _case_or_404(handoff_id)
    if not allowed(request.user, handoff):
        if can_view_case(request.user, handoff):
            _refusal_trace(request, handoff)
            form.add_error(None, "Only the counselor holding this case, or a supervisor, can act.")
            return _rerender(request, handoff, form, page, 403)
        return _refused_page(request, handoff)
    if form.is_valid():
        try:
            do(form.cleaned_data, handoff)
        except (services.Refused, retention.Refused) as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            return redirect(reverse("case-detail", kwargs={"handoff_id": handoff.id}) + anchor)
    handoff.refresh_from_db()
    return _rerender(request, handoff, form, page, 400)


def _rerender(
    request: StaffRequest, handoff: Handoff, form: forms.Form, page: Page, status: int
) -> HttpResponse:
    context = page.context(request, handoff)
    context[FORM_NAMES[type(form)]] = form
    return render(request, page.template, context, status=status)


@require_POST
@staff_required
def contact_attempt(request: StaffRequest, handoff_id: UUID) -> HttpResponse:
    return _action(
        request,
        handoff_id,
        case_forms.ContactAttemptForm(request.POST),
        lambda d, h: services.contact_attempt_record(
            handoff_id=h.id, counselor=request.user, channel=d["channel"], result=d["result"]
        ),
        anchor="#attempts",
    )


@require_POST
@staff_required
def contact_status(request: StaffRequest, handoff_id: UUID) -> HttpResponse:
    """On the phone, texting, waiting for a reply: one key or one button on the case page."""
    return _action(
        request,
        handoff_id,
        case_forms.ContactStatusForm(request.POST),
        lambda d, h: contact_status_set(
            handoff_id=h.id, counselor=request.user, status=d["status"]
        ),
        anchor="#status",
    )


@require_POST
@staff_required
def note_add(request: StaffRequest, handoff_id: UUID) -> HttpResponse:
    return _action(
        request,
        handoff_id,
        case_forms.NoteForm(request.POST),
        lambda d, h: services.note_add(handoff_id=h.id, author=request.user, text=d["text"]),
        anchor="#notes",
    )


@require_POST
@staff_required
def note_edit(request: StaffRequest, handoff_id: UUID, note_id: int) -> HttpResponse:
    if not Note.objects.filter(pk=note_id, handoff_id=handoff_id).exists():
        raise Http404("No such note.")
    return _action(
        request,
        handoff_id,
        case_forms.NoteForm(request.POST),
        lambda d, h: services.note_edit(note_id=note_id, author=request.user, text=d["text"]),
        anchor="#notes",
    )


@require_POST
@staff_required
def relay(request: StaffRequest, handoff_id: UUID) -> HttpResponse:
    return _action(
        request,
        handoff_id,
        case_forms.RelayForm(request.POST),
        lambda d, h: services.relay_message_send(
            handoff_id=h.id, counselor=request.user, text=d["text"]
        ),
        anchor="#relay",
    )


@require_POST
@staff_required
def assessment(request: StaffRequest, handoff_id: UUID) -> HttpResponse:
    handoff = _case_or_404(handoff_id)
    form = case_forms.AssessmentForm(
        request.POST, suggested=suggested_indicators(latest_summary(handoff))
    )
    return _action(
        request,
        handoff_id,
        form,
        lambda d, h: services.assessment_record(
            handoff_id=h.id,
            counselor=request.user,
            confirmed=form.confirmed(),
            cleared=form.cleared(),
            tier=d["tier"],
            override_reason=d["override_reason"],
        ),
        anchor="#assessment",
    )


@require_POST
@staff_required
def close(request: StaffRequest, handoff_id: UUID) -> HttpResponse:
    form = case_forms.CloseForm(request.POST)
    return _action(
        request,
        handoff_id,
        form,
        lambda d, h: services.handoff_close(
            handoff_id=h.id,
            counselor=request.user,
            request=services.CloseRequest(
                outcome=d["outcome"],
                details={k: d.get(k) or "" for k in ("what_helped", "reason", "referred_to")},
                safety_plan=form.safety_plan(),
                follow_up_at=d.get("follow_up_at"),
            ),
        ),
        anchor="#close",
    )


@require_POST
@staff_required
def dispatch_request(request: StaffRequest, handoff_id: UUID) -> HttpResponse:
    return _action(
        request,
        handoff_id,
        case_forms.DispatchForm(request.POST),
        lambda d, h: services.dispatch_request(
            handoff_id=h.id,
            counselor=request.user,
            team=d.get("team"),
            team_name=d.get("team_name") or "",
            requested_at=d["requested_at"],
            reference=d.get("reference") or "",
        ),
        anchor="#mobile-crisis",
    )


@require_POST
@staff_required
def dispatch_update(request: StaffRequest, handoff_id: UUID, dispatch_id: int) -> HttpResponse:
    return _action(
        request,
        handoff_id,
        case_forms.DispatchUpdateForm(request.POST),
        lambda d, h: services.dispatch_update(
            dispatch_id=dispatch_id,
            counselor=request.user,
            status=d["status"],
            at=d["at"],
            note=d.get("note") or "",
            result=d.get("result") or "",
        ),
        anchor="#mobile-crisis",
    )


@staff_required
def emergency_call(request: StaffRequest, handoff_id: UUID) -> HttpResponse:
    """The emergency call screen: who to phone, what to say, and the record of the call. The
    console never dials: the counselor does, and records it here."""
    handoff = _case_or_404(handoff_id)
    if request.method == "GET":
        if not can_view_case(request.user, handoff):
            return _refused_page(request, handoff)
        context = emergency_context(request, handoff)
        event_record(
            handoff=handoff,
            kind=EventKind.VIEWED_PERSONAL,
            actor=request.user,
            data={**context["personal"].shown, "screen": "emergency_call"},
        )
        return render(request, "cases/emergency.html", context)
    if request.method != "POST":
        return HttpResponse(status=405)

    def do(d: dict[str, Any], h: Handoff) -> object:
        return services.emergency_call_record(
            handoff_id=h.id,
            counselor=request.user,
            record=services.EmergencyCallRecord(
                center=d.get("center"),
                center_name=d.get("center_name") or "",
                center_number=d.get("center_number") or "",
                dialed_at=d.get("dialed_at"),
                answered_at=d.get("answered_at"),
                call_taker=d.get("call_taker") or "",
                incident_number=d.get("incident_number") or "",
                relayed=d.get("relayed") or "",
                person_consented=d.get("person_consented"),
                no_consent_reason=d.get("no_consent_reason") or "",
                supervisor_consulted=d.get("supervisor_consulted"),
            ),
        )

    return _action(
        request,
        handoff_id,
        case_forms.EmergencyCallForm(request.POST),
        do,
        anchor="#emergency",
        page=EMERGENCY_PAGE,
    )


@require_POST
@staff_required
def emergency_confirm(request: StaffRequest, handoff_id: UUID, call_id: int) -> HttpResponse:
    return _action(
        request,
        handoff_id,
        case_forms.ConfirmForm(request.POST),
        lambda d, h: services.emergency_call_confirm(
            call_id=call_id,
            counselor=request.user,
            contact_confirmed=d.get("contact_confirmed"),
            note=d.get("note") or "",
        ),
        anchor="#emergency",
    )


def _supervisor_only(user: User, handoff: Handoff) -> bool:
    # A closed case is no one's to act on; supervisors append amendments to it, or erase it.
    return is_supervisor(user)


@require_POST
@staff_required
def amend(request: StaffRequest, handoff_id: UUID) -> HttpResponse:
    handoff = _case_or_404(handoff_id)
    if not is_supervisor(request.user):
        return _refused_page(request, handoff)
    return _action(
        request,
        handoff_id,
        case_forms.AmendmentForm(request.POST),
        lambda d, h: services.amendment_add(
            handoff_id=h.id, supervisor=request.user, reason=d["reason"], text=d["text"]
        ),
        anchor="#amendments",
        allowed=_supervisor_only,
    )


@require_POST
@staff_required
def erase(request: StaffRequest, handoff_id: UUID) -> HttpResponse:
    """A supervisor erases an ended case's personal data now, with a reason (kept encrypted)."""
    handoff = _case_or_404(handoff_id)
    if not is_supervisor(request.user):
        return _refused_page(request, handoff)
    return _action(
        request,
        handoff_id,
        case_forms.EraseForm(request.POST),
        lambda d, h: retention.case_erase(
            handoff_id=h.id, supervisor=request.user, reason=d["reason"]
        ),
        anchor="#erased",
        allowed=_supervisor_only,
    )


@require_GET
@staff_required
def export(request: StaffRequest, handoff_id: UUID) -> HttpResponse:
    """The case record as plain text, with what the person did not consent to share left out
    (and saying so). Its own event: an export is not counted as a page view."""
    handoff = _case_or_404(handoff_id)
    if not can_export_case(request.user, handoff):
        return _refused_page(request, handoff, export=True)
    context = case_context(request, handoff)
    event_record(
        handoff=handoff, kind=EventKind.EXPORTED, actor=request.user, data={"format": "text"}
    )
    response = render(
        request, "cases/export.txt", context, content_type="text/plain; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="case-{handoff.id}.txt"'
    response["Cache-Control"] = "no-store"
    return response
