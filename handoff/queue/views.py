"""The queue dashboard and the claim, release and transfer actions (POSTs from htmx)."""

import functools

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from counselors.models import User
from handoff.decorators import staff_required
from handoff.queue import render as fragments
from handoff.queue import services
from handoff.types import StaffRequest


@require_GET
@staff_required
def dashboard(request: StaffRequest) -> HttpResponse:
    context = fragments.queue_context()
    context |= fragments.mine_context(request.user)
    context |= fragments.presence_context()
    context["capacity"] = settings.COUNSELOR_MAX_OPEN_CASES
    return render(request, "queue/dashboard.html", context)


def _to_case(request: StaffRequest, handoff_id: str) -> HttpResponse:
    url = reverse("case-detail", kwargs={"handoff_id": handoff_id})
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@functools.lru_cache(maxsize=1024)
def _flash_html(message: str) -> str:
    """The flash fragment of a refusal, rendered once per message per process: in a rush on one
    case every loser gets the same "Already claimed by <holder>." It depends on nothing of the
    request (no token, no user), so one rendering serves every loser."""
    return render_to_string("queue/dashboard.html#flash", {"flash": message, "flash_kind": "error"})


def _refusal(request: StaffRequest, message: str, status: int) -> HttpResponse:
    """htmx gets the message for the page's flash area; a plain form post gets a page."""
    if request.htmx:
        return HttpResponse(_flash_html(message), status=status)
    context = {"flash": message, "flash_kind": "error"}
    return render(request, "queue/refusal.html", context, status=status)


@require_POST
@staff_required
def claim(request: StaffRequest, handoff_id: str) -> HttpResponse:
    try:
        handoff = services.handoff_claim(handoff_id=str(handoff_id), counselor=request.user)
    except services.ClaimRefused as exc:
        return _refusal(request, exc.message, 409)
    return _to_case(request, str(handoff.id))


class ReleaseForm(forms.Form):
    # Optional: no page asks for one, and a script may send one.
    reason = forms.CharField(required=False, max_length=200)


@require_POST
@staff_required
def release(request: StaffRequest, handoff_id: str) -> HttpResponse:
    form = ReleaseForm(request.POST)
    if not form.is_valid():
        said = " ".join(str(e) for e in form.errors["reason"])
        return _refusal(request, f"The reason: {said}", 400)
    try:
        services.handoff_release(
            handoff_id=str(handoff_id), actor=request.user, reason=form.cleaned_data["reason"]
        )
    except services.ActionRefused as exc:
        return _refusal(request, exc.message, 409)
    if request.htmx:
        return HttpResponseClientRedirect(reverse("dashboard"))
    return redirect("dashboard")


@require_POST
@staff_required
def transfer(request: StaffRequest, handoff_id: str) -> HttpResponse:
    to_id = request.POST.get("to", "")
    to: User | None = None
    if to_id:
        to = User.objects.filter(pk=to_id if to_id.isdigit() else 0, is_active=True).first()
        if to is None:
            return _refusal(request, "Choose a colleague who is on shift.", 400)
    try:
        services.handoff_transfer(
            handoff_id=str(handoff_id),
            actor=request.user,
            to=to,
            note=request.POST.get("note", ""),
        )
    except services.ActionRefused as exc:
        return _refusal(request, exc.message, 409)
    if request.htmx:
        return HttpResponseClientRedirect(reverse("dashboard"))
    return redirect("dashboard")
