"""The floor (supervisors), acknowledging alerts, asking for and answering help, reassigning a
case, and a counselor's own availability. Thin doors: the rules are in the services."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from counselors.models import User
from handoff.access import is_supervisor
from handoff.decorators import staff_required
from handoff.queue import floor
from handoff.queue import services as queue_services
from handoff.supervision import services
from handoff.types import StaffRequest

FLASH = "supervision/floor.html#flash"


def _flash(request: StaffRequest, message: str, status: int, kind: str = "error") -> HttpResponse:
    """htmx gets the line for the page's flash area; a plain form post gets a page."""
    template = FLASH if request.htmx else "queue/refusal.html"
    return render(request, template, {"flash": message, "flash_kind": kind}, status=status)


def _supervisors_only(request: StaffRequest) -> HttpResponse | None:
    if is_supervisor(request.user):
        return None
    return render(
        request,
        "queue/refusal.html",
        {"flash": "The floor is for supervisors.", "flash_kind": "error"},
        status=403,
    )


@require_GET
@staff_required
def floor_page(request: StaffRequest) -> HttpResponse:
    refused = _supervisors_only(request)
    if refused:
        return refused
    return render(request, "supervision/floor.html", floor.floor_context())


@require_POST
@staff_required
def alert_acknowledge(request: StaffRequest, alert_id: int) -> HttpResponse:
    refused = _supervisors_only(request)
    if refused:
        return refused
    try:
        services.alert_acknowledge(alert_id=alert_id, supervisor=request.user)
    except services.Refused as exc:
        return _flash(request, exc.message, 409)
    if request.htmx:
        return _flash(request, "Alert acknowledged.", 200, kind="info")
    return redirect("floor")


@require_POST
@staff_required
def help_ask(request: StaffRequest, handoff_id: str) -> HttpResponse:
    try:
        services.help_ask(
            handoff_id=str(handoff_id), counselor=request.user, text=request.POST.get("text", "")
        )
    except services.Refused as exc:
        status = 400 if "line" in exc.message else 409
        return _flash(request, exc.message, status)
    message = "A supervisor has been asked for; they see it on the floor now."
    if request.htmx:
        return _flash(request, message, 200, kind="info")
    return redirect(reverse("case-detail", kwargs={"handoff_id": handoff_id}))


@require_POST
@staff_required
def help_answer(request: StaffRequest, help_id: int) -> HttpResponse:
    refused = _supervisors_only(request)
    if refused:
        return refused
    try:
        answered = services.help_answer(help_id=help_id, supervisor=request.user)
    except services.Refused as exc:
        return _flash(request, exc.message, 409)
    url = reverse("case-detail", kwargs={"handoff_id": answered.handoff_id})
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@require_POST
@staff_required
def reassign(request: StaffRequest, handoff_id: str) -> HttpResponse:
    """A supervisor moves a case (waiting or held) to a colleague, with a handover note."""
    refused = _supervisors_only(request)
    if refused:
        return refused
    to_id = request.POST.get("to", "")
    to = User.objects.filter(pk=to_id if to_id.isdigit() else 0, is_active=True).first()
    if to is None:
        return _flash(request, "Choose a colleague who is on shift.", 400)
    try:
        queue_services.handoff_transfer(
            handoff_id=str(handoff_id),
            actor=request.user,
            to=to,
            note=request.POST.get("note", ""),
        )
    except queue_services.ActionRefused as exc:
        return _flash(request, exc.message, 409)
    if request.htmx:
        return _flash(request, f"Case given to {to}.", 200, kind="info")
    return redirect("floor")


@require_POST
@staff_required
def availability(request: StaffRequest) -> HttpResponse:
    try:
        services.availability_set(
            user=request.user, availability=request.POST.get("availability", "")
        )
    except services.Refused as exc:
        return _flash(request, exc.message, 400)
    if request.htmx:
        return render(
            request,
            "queue/dashboard.html#availability",
            {"user": request.user, "capacity": settings.COUNSELOR_MAX_OPEN_CASES},
        )
    return redirect("dashboard")
