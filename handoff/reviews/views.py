"""The review queue (supervisors) and the sign-off. Thin: the selector decides what is queued,
the service records the review and its event."""

from uuid import UUID

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from handoff.access import is_supervisor
from handoff.decorators import staff_required
from handoff.events import refusal_record
from handoff.models import Handoff, Review
from handoff.reviews import services
from handoff.reviews.selectors import cases_for_review
from handoff.types import StaffRequest

PAGE_SIZE = 50
RECENTLY_SIGNED = 20


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label="Comment",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write a comment: a sign-off says what was looked at."},
    )


def supervisors_only(request: StaffRequest) -> HttpResponse:
    return render(request, "reviews/supervisors_only.html", status=403)


@require_GET
@staff_required
def review_list(request: StaffRequest) -> HttpResponse:
    if not is_supervisor(request.user):
        return supervisors_only(request)
    queued = cases_for_review().select_related("platform", "claimed_by")
    waiting = Paginator(queued.filter(Q(reviewed=False)).order_by("updated_at", "id"), PAGE_SIZE)
    page = waiting.get_page(request.GET.get("page"))
    signed = list(queued.filter(Q(reviewed=True)).order_by("-updated_at", "-id")[:RECENTLY_SIGNED])
    return render(request, "reviews/list.html", {"page": page, "signed": signed})


@require_POST
@staff_required
def review_sign(request: StaffRequest, handoff_id: UUID) -> HttpResponse:
    handoff = Handoff.objects.select_related("platform", "claimed_by").filter(pk=handoff_id).first()
    if handoff is None:
        raise Http404("No such case.")
    if not is_supervisor(request.user):
        refusal_record(handoff=handoff, actor=request.user, door="case-review")
        return supervisors_only(request)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.review_add(
                handoff_id=handoff.id, supervisor=request.user, comment=form.cleaned_data["comment"]
            )
        except services.Refused as exc:
            form.add_error(None, exc.message)
        else:
            return redirect(reverse("case-detail", kwargs={"handoff_id": handoff.id}) + "#review")
    reviews = Review.objects.filter(handoff=handoff).select_related("supervisor")
    context = {"case": handoff, "form": form, "reviews": reviews}
    return render(request, "reviews/sign_off.html", context, status=400)
