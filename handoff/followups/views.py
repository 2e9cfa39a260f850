"""Follow-ups (`/follow-ups/`): the list (own, due and upcoming; the floor's) and the page
where one is carried out on its closed case, which stays closed."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from handoff.access import is_supervisor
from handoff.cases import forms as case_forms
from handoff.decorators import staff_required
from handoff.followups import services
from handoff.followups.selectors import follow_up_lists, on_floor
from handoff.models import FollowUp
from handoff.types import StaffRequest


class NotReachedForm(forms.Form):
    next_at = case_forms._dt(label="Next try at")


FORMS: dict[type[forms.Form], str] = {
    case_forms.ContactAttemptForm: "attempt_form",
    case_forms.NoteForm: "note_form",
    NotReachedForm: "not_reached_form",
    forms.Form: "done_form",
}


@require_GET
@staff_required
def follow_up_list(request: StaffRequest) -> HttpResponse:
    lists = follow_up_lists(request.user)
    context = {
        "lists": lists,
        "is_supervisor": is_supervisor(request.user),
        "view_now": timezone.now(),
    }
    return render(request, "followups/list.html", context)


def _follow_up_or_404(follow_up_id: int) -> FollowUp:
    follow_up = (
        FollowUp.objects.select_related("handoff__platform", "counselor")
        .filter(pk=follow_up_id)
        .first()
    )
    if follow_up is None:
        raise Http404("No such follow-up.")
    return follow_up


def _context(request: StaffRequest, follow_up: FollowUp) -> dict[str, Any]:
    case = follow_up.handoff
    since = case.closed_at or follow_up.due_at
    context: dict[str, Any] = {
        "follow_up": follow_up,
        "case": case,
        "can_work": services.can_work_on(request.user, follow_up),
        "can_take": follow_up.counselor_id != request.user.pk and on_floor(follow_up),
        # What was done after the case closed: the follow-up's own record.
        "attempts": list(case.contact_attempts.filter(at__gte=since).select_related("counselor")),
        "notes": list(case.notes.filter(created_at__gte=since).select_related("author")),
    }
    for form_class, name in FORMS.items():
        context[name] = form_class()
    return context


@require_GET
@staff_required
def follow_up_detail(request: StaffRequest, follow_up_id: int) -> HttpResponse:
    follow_up = _follow_up_or_404(follow_up_id)
    context = _context(request, follow_up)
    if not (context["can_work"] or context["can_take"]):
        return render(request, "followups/not_yours.html", {"follow_up": follow_up}, status=403)
    return render(request, "followups/detail.html", context)


def _action(
    request: StaffRequest,
    follow_up_id: int,
    form: forms.Form,
    do: Callable[[dict[str, Any]], object],
) -> HttpResponse:
    follow_up = _follow_up_or_404(follow_up_id)
    if not services.can_work_on(request.user, follow_up):
        return render(request, "followups/not_yours.html", {"follow_up": follow_up}, status=403)
    if form.is_valid():
        try:
            do(form.cleaned_data)
        except services.Refused as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            return redirect(reverse("follow-up-detail", kwargs={"follow_up_id": follow_up.pk}))
    follow_up.refresh_from_db()
    context = _context(request, follow_up)
    context[FORMS[type(form)]] = form
    return render(request, "followups/detail.html", context, status=400)


@require_POST
@staff_required
def follow_up_take(request: StaffRequest, follow_up_id: int) -> HttpResponse:
    follow_up = _follow_up_or_404(follow_up_id)
    try:
        services.follow_up_take(follow_up_id=follow_up.pk, taker=request.user)
    except services.Refused as exc:
        context = _context(request, follow_up)
        context["take_error"] = " ".join(exc.errors.values())
        status = 409 if context["can_work"] or context["can_take"] else 403
        template = "followups/detail.html" if status == 409 else "followups/not_yours.html"
        return render(request, template, context, status=status)
    return redirect(reverse("follow-up-detail", kwargs={"follow_up_id": follow_up.pk}))


@require_POST
@staff_required
def follow_up_attempt(request: StaffRequest, follow_up_id: int) -> HttpResponse:
    return _action(
        request,
        follow_up_id,
        case_forms.ContactAttemptForm(request.POST),
        lambda d: services.follow_up_attempt(
            follow_up_id=follow_up_id,
            counselor=request.user,
            channel=d["channel"],
            result=d["result"],
        ),
    )


@require_POST
@staff_required
def follow_up_note(request: StaffRequest, follow_up_id: int) -> HttpResponse:
    return _action(
        request,
        follow_up_id,
        case_forms.NoteForm(request.POST),
        lambda d: services.follow_up_note(
            follow_up_id=follow_up_id, author=request.user, text=d["text"]
        ),
    )


@require_POST
@staff_required
def follow_up_done(request: StaffRequest, follow_up_id: int) -> HttpResponse:
    return _action(
        request,
        follow_up_id,
        forms.Form(request.POST),
        lambda d: services.follow_up_done(follow_up_id=follow_up_id, counselor=request.user),
    )


@require_POST
@staff_required
def follow_up_not_reached(request: StaffRequest, follow_up_id: int) -> HttpResponse:
    return _action(
        request,
        follow_up_id,
        NotReachedForm(request.POST),
        lambda d: services.follow_up_not_reached(
            follow_up_id=follow_up_id, counselor=request.user, next_at=d["next_at"]
        ),
    )
