"""`/audit/`: the event log for supervisors and admins, filtered by person, case, kind and period.
Every read of it is itself an event (kind `audit_read`, on the console's own chain)."""

import logging
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from counselors.models import Role, User
from handoff.access import is_supervisor
from handoff.audit.selectors import AuditFilter, audit_events, audit_rows
from handoff.decorators import staff_required
from handoff.events import console_event_record
from handoff.filters import valid_filters
from handoff.models import EventKind
from handoff.types import StaffRequest

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
ANY = [("", "Any")]


class AuditForm(forms.Form):
    person = forms.TypedChoiceField(
        label="Person", choices=ANY, coerce=int, required=False, empty_value=None
    )
    case = forms.UUIDField(
        label="Case id",
        required=False,
        error_messages={"invalid": "a case id is the whole id shown on the case page"},
    )
    kind = forms.ChoiceField(label="Kind", choices=ANY + EventKind.choices, required=False)
    period_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period_to = forms.DateField(
        label="to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data: Any) -> None:
        super().__init__(data)
        staff = User.objects.filter(role__in=Role.values).order_by("display_name", "username")
        person = self.fields["person"]
        assert isinstance(person, forms.ChoiceField)
        person.choices = ANY + [(u.pk, str(u)) for u in staff]

    def filters(self) -> tuple[AuditFilter, list[str]]:
        values, ignored = valid_filters(self)
        return AuditFilter(**values), ignored


def _page_number(raw: str | None) -> int:
    try:
        return max(int(raw or 1), 1)
    except ValueError:
        return 1


@require_GET
@staff_required
def audit_list(request: StaffRequest) -> HttpResponse:
    if not is_supervisor(request.user):
        logger.warning("access refused: user=%s door=audit", request.user.pk)
        console_event_record(
            kind=EventKind.ACCESS_REFUSED, actor=request.user, data={"door": "audit"}
        )
        return render(
            request,
            "queue/refusal.html",
            {"flash": "The audit trail is for supervisors.", "flash_kind": "error"},
            status=403,
        )
    form = AuditForm(request.GET)
    audit_filter, ignored = form.filters()
    # Recorded first, so the reader finds their own read at the top of the unfiltered list.
    console_event_record(
        kind=EventKind.AUDIT_READ,
        actor=request.user,
        data={"filters": audit_filter.as_data(), "page": _page_number(request.GET.get("page"))},
    )
    page = Paginator(audit_events(audit_filter), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "ignored": ignored,
        "page": page,
        "rows": audit_rows(page.object_list),
        "query": query.urlencode(),
    }
    return render(request, "audit/list.html", context)
