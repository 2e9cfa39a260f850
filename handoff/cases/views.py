"""The case page. Here: transcript, tier, status and the release and transfer actions."""

from uuid import UUID

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from handoff.access import can_act_on_case, can_view_case
from handoff.decorators import staff_required
from handoff.events import event_record
from handoff.models import EventKind, Handoff
from handoff.queue.selectors import colleagues_for_transfer
from handoff.types import StaffRequest


@require_GET
@staff_required
def case_detail(request: StaffRequest, handoff_id: UUID) -> HttpResponse:
    handoff = (
        Handoff.objects.select_related("platform", "claimed_by", "consent")
        .filter(pk=handoff_id)
        .first()
    )
    if handoff is None:
        raise Http404("No such case.")
    if not can_view_case(request.user, handoff):
        owner = handoff.claimed_by
        return render(
            request,
            "cases/refused.html",
            {"case": handoff, "owner": owner},
            status=403,
        )
    event_record(handoff=handoff, kind=EventKind.VIEWED, actor=request.user)
    context = {
        "case": handoff,
        "messages_list": list(handoff.messages.order_by("seq")),
        "can_act": can_act_on_case(request.user, handoff),
        "is_owner": handoff.claimed_by_id == request.user.pk,
        "colleagues": list(colleagues_for_transfer(exclude=request.user)),
    }
    return render(request, "cases/detail.html", context)
