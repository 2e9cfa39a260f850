"""Case history (`/cases/`): everyone finds a case without its UUID. Counselors see the cases
they held or acted on, supervisors all; the list shows no personal data."""

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from counselors.models import Role, User
from handoff.access import is_supervisor
from handoff.decorators import staff_required
from handoff.filters import valid_filters
from handoff.history.selectors import HistoryFilter, case_history
from handoff.models import Outcome, Platform, Status, Tier
from handoff.types import StaffRequest

PAGE_SIZE = 25
ANY = [("", "Any")]


class HistoryForm(forms.Form):
    q = forms.RegexField(
        label="Case id",
        regex=r"^[0-9a-fA-F-]{1,36}$",
        required=False,
        help_text="The case id, or its first characters.",
        error_messages={"invalid": "a case id is made of 0-9, a-f and dashes"},
    )
    status = forms.ChoiceField(choices=ANY + Status.choices, required=False)
    outcome = forms.ChoiceField(choices=ANY + Outcome.choices, required=False)
    platform = forms.ChoiceField(choices=ANY, required=False)
    tier = forms.ChoiceField(choices=ANY + Tier.choices, required=False)
    period_from = forms.DateField(
        label="Received from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period_to = forms.DateField(
        label="to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    counselor = forms.TypedChoiceField(choices=ANY, coerce=int, required=False, empty_value=None)

    def __init__(self, data: Any, *, user: User) -> None:
        super().__init__(data)
        platforms = Platform.objects.order_by("name").values_list("slug", "name")
        self._choices("platform", ANY + list(platforms))
        if is_supervisor(user):
            staff = User.objects.filter(role__in=Role.values).order_by("display_name", "username")
            self._choices("counselor", ANY + [(u.pk, str(u)) for u in staff])
        else:
            # A counselor's list is theirs already; the filter would only hide what they acted on.
            del self.fields["counselor"]

    def _choices(self, name: str, choices: list[tuple[Any, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def filters(self) -> tuple[HistoryFilter, list[str]]:
        """The valid parameters as a filter; each invalid one is left out and named."""
        values, ignored = valid_filters(self)
        return HistoryFilter(**values), ignored


@require_GET
@staff_required
def case_history_list(request: StaffRequest) -> HttpResponse:
    form = HistoryForm(request.GET, user=request.user)
    history_filter, ignored = form.filters()
    paginator = Paginator(case_history(request.user, history_filter), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    # Page links keep the filters (without the page number).
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "ignored": ignored,
        "page": page,
        "query": query.urlencode(),
        "is_supervisor": is_supervisor(request.user),
    }
    return render(request, "history/list.html", context)
