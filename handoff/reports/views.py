"""The report page, its CSV and a platform's own CSV: supervisors and admins only. Bad
parameters answer 400 with the form and what is wrong, never a 500."""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from handoff.access import is_supervisor
from handoff.decorators import staff_required
from handoff.models import Outcome, Platform, Tier
from handoff.reports import charts, selectors
from handoff.reports.csv import platform_csv, report_csv
from handoff.types import StaffRequest

EARLIEST = date(2000, 1, 1)
REFUSED = "Reports are for supervisors."


class PeriodForm(forms.Form):
    """`from`, `to` (YYYY-MM-DD, both included, in the console's time zone) and an optional
    platform slug. `from` is a Python keyword, so the field is added by name."""

    to = forms.DateField(required=False, input_formats=["%Y-%m-%d"], label="To")
    platform = forms.CharField(required=False, max_length=64, label="Platform")

    def __init__(self, *args: Any, platforms: list[Platform], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {
            "from": forms.DateField(required=False, input_formats=["%Y-%m-%d"], label="From"),
            **self.fields,
        }
        self.platforms = {p.slug: p for p in platforms}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        default = selectors.default_period()
        start = data.get("from") or default.start
        end = data.get("to") or default.end
        latest = timezone.localdate() + timedelta(days=366)
        if "from" in self.errors or "to" in self.errors:
            return data
        if start < EARLIEST or end < EARLIEST:
            raise forms.ValidationError(f"Dates start from {EARLIEST.isoformat()}.")
        if start > latest or end > latest:
            raise forms.ValidationError("Dates more than a year ahead cannot be reported on.")
        if end < start:
            self.add_error("to", "The end of the period comes before its start.")
            return data
        slug = data.get("platform") or ""
        if slug and slug not in self.platforms:
            self.add_error("platform", "No platform with that name.")
            return data
        data["period"] = selectors.Period(start=start, end=end)
        data["platform_obj"] = self.platforms.get(slug) if slug else None
        return data


def _supervisor_only(request: StaffRequest) -> HttpResponse | None:
    return None if is_supervisor(request.user) else HttpResponseForbidden(REFUSED)


def _form(request: StaffRequest) -> tuple[PeriodForm, list[Platform]]:
    platforms = selectors.platforms_all()
    return PeriodForm(request.GET, platforms=platforms), platforms


def _bad(request: StaffRequest, form: PeriodForm, platforms: list[Platform]) -> HttpResponse:
    return render(
        request,
        "reports/report.html",
        {"form": form, "platforms": platforms, "report": None, "time_zone": settings.TIME_ZONE},
        status=400,
    )


@require_GET
@staff_required
def report(request: StaffRequest) -> HttpResponse:
    if refused := _supervisor_only(request):
        return refused
    form, platforms = _form(request)
    if not form.is_valid():
        return _bad(request, form, platforms)
    result = selectors.report_for(
        period=form.cleaned_data["period"],
        platform=form.cleaned_data["platform_obj"],
        platforms=platforms,
    )
    context = {
        "form": form,
        "platforms": platforms,
        "report": result,
        "charts": charts.report_charts(result),
        "quality": [(q, charts.band_chart(q)) for q in result.quality],
        "tiers": list(Tier),
        "outcomes": list(Outcome),
        "query": request.GET.urlencode(),
        "time_zone": settings.TIME_ZONE,
    }
    return render(request, "reports/report.html", context)


def _csv(body: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@staff_required
def report_csv_view(request: StaffRequest) -> HttpResponse:
    if refused := _supervisor_only(request):
        return refused
    form, platforms = _form(request)
    if not form.is_valid():
        return _bad(request, form, platforms)
    period: selectors.Period = form.cleaned_data["period"]
    result = selectors.report_for(
        period=period, platform=form.cleaned_data["platform_obj"], platforms=platforms
    )
    return _csv(report_csv(result), f"report-{period.start}-{period.end}.csv")


@require_GET
@staff_required
def platform_csv_view(request: StaffRequest, slug: str) -> HttpResponse:
    if refused := _supervisor_only(request):
        return refused
    platform = get_object_or_404(Platform, slug=slug)
    form, platforms = _form(request)
    if not form.is_valid():
        return _bad(request, form, platforms)
    period: selectors.Period = form.cleaned_data["period"]
    result = selectors.report_for(period=period, platform=platform, platforms=platforms)
    row = next(
        (r for r in result.rows if r.slug == platform.slug),
        selectors.Row(slug=platform.slug, name=platform.name),
    )
    quality = next((q for q in result.quality if q.slug == platform.slug), None)
    return _csv(
        platform_csv(result, row, quality), f"{platform.slug}-{period.start}-{period.end}.csv"
    )
