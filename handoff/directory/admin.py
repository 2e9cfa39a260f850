"""Admin screens for correcting the directories between imports.

Edits go through the same checks as the CSV import (phone numbers, states, ZIP codes), so a
hand-fixed entry is held to the same standard as an imported one.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from handoff.directory.imports import (
    FieldProblem,
    normalize_phone,
    normalize_state,
    split_counties,
    split_postal_codes,
)
from handoff.directory.services import format_phone
from handoff.models import EmergencyCenter, EmergencyCenterPostalCode, MobileCrisisTeam

__all__ = ["EmergencyCenterAdmin", "MobileCrisisTeamAdmin"]


def _checked(convert: Any, value: str) -> str:
    try:
        result: str = convert(value)
    except FieldProblem as exc:
        raise forms.ValidationError(str(exc)) from exc
    return result


class EmergencyCenterForm(forms.ModelForm):  # type: ignore[type-arg]
    # Wider than the stored 10 digits so "(614) 645-4545" can be pasted and normalised.
    emergency_line = forms.CharField(
        label="10-digit emergency line", max_length=25, help_text="e.g. (614) 645-4545"
    )
    admin_line = forms.CharField(max_length=25, required=False)

    class Meta:
        model = EmergencyCenter
        fields = (
            "psap_id",
            "name",
            "state",
            "county",
            "city",
            "emergency_line",
            "admin_line",
            "active",
        )

    def clean_state(self) -> str:
        return _checked(normalize_state, self.cleaned_data["state"])

    def clean_emergency_line(self) -> str:
        return _checked(normalize_phone, self.cleaned_data["emergency_line"])

    def clean_admin_line(self) -> str:
        value: str = self.cleaned_data["admin_line"]
        return _checked(normalize_phone, value) if value.strip() else ""


class PostalCodeForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = EmergencyCenterPostalCode
        fields = ("postal_code",)

    def clean_postal_code(self) -> str:
        try:
            codes = split_postal_codes(self.cleaned_data["postal_code"])
        except FieldProblem as exc:
            raise forms.ValidationError(str(exc)) from exc
        if len(codes) != 1:
            raise forms.ValidationError("One 5-digit ZIP code per row.")
        return codes[0]


class PostalCodeInline(admin.TabularInline):  # type: ignore[type-arg]
    model = EmergencyCenterPostalCode
    form = PostalCodeForm
    extra = 1


@admin.register(EmergencyCenter)
class EmergencyCenterAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = EmergencyCenterForm
    inlines = (PostalCodeInline,)
    list_display = (
        "name",
        "psap_id",
        "state",
        "county",
        "city",
        "emergency_line_display",
        "active",
        "updated_at",
    )
    list_filter = ("state", "active")
    search_fields = ("name", "psap_id", "county", "city", "postal_codes__postal_code")
    readonly_fields = ("updated_at",)
    actions = ("deactivate",)

    @admin.display(description="Emergency line", ordering="emergency_line")
    def emergency_line_display(self, obj: EmergencyCenter) -> str:
        return format_phone(obj.emergency_line)

    @admin.action(description="Deactivate selected centers (they stop being proposed)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[EmergencyCenter]) -> None:
        # Calls already placed point at these centers, so they are retired, never deleted.
        for center in queryset.filter(active=True):
            center.active = False
            center.save(update_fields=["active", "updated_at"])


class MobileCrisisTeamForm(forms.ModelForm):  # type: ignore[type-arg]
    # Lists edited as text: a JSON box invites syntax errors from the people fixing a phone number.
    counties = forms.CharField(
        required=False, help_text="Separate counties with semicolons, e.g. Franklin; Pickaway"
    )
    postal_codes = forms.CharField(
        required=False, help_text="5-digit ZIP codes separated by spaces or semicolons"
    )
    phone = forms.CharField(max_length=25, help_text="e.g. (614) 645-4545")

    class Meta:
        model = MobileCrisisTeam
        fields = ("name", "state", "counties", "postal_codes", "phone", "hours", "active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["counties"] = "; ".join(self.instance.counties)
            self.initial["postal_codes"] = " ".join(self.instance.postal_codes)

    def clean_state(self) -> str:
        return _checked(normalize_state, self.cleaned_data["state"])

    def clean_phone(self) -> str:
        return _checked(normalize_phone, self.cleaned_data["phone"])

    def clean_counties(self) -> list[str]:
        return list(split_counties(self.cleaned_data["counties"]))

    def clean_postal_codes(self) -> list[str]:
        try:
            return list(split_postal_codes(self.cleaned_data["postal_codes"]))
        except FieldProblem as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("counties") and not cleaned.get("postal_codes") and not self.errors:
            raise forms.ValidationError(
                "Give counties or postal codes, or no location can match this team."
            )
        return cleaned


@admin.register(MobileCrisisTeam)
class MobileCrisisTeamAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = MobileCrisisTeamForm
    list_display = ("name", "state", "counties_display", "phone_display", "hours", "active")
    list_filter = ("state", "active")
    search_fields = ("name", "counties", "postal_codes", "phone")
    readonly_fields = ("updated_at",)
    actions = ("deactivate",)

    @admin.display(description="Counties")
    def counties_display(self, obj: MobileCrisisTeam) -> str:
        return "; ".join(obj.counties)

    @admin.display(description="Phone", ordering="phone")
    def phone_display(self, obj: MobileCrisisTeam) -> str:
        return format_phone(obj.phone)

    @admin.action(description="Deactivate selected teams (they stop being proposed)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[MobileCrisisTeam]) -> None:
        # Dispatches already recorded point at these teams, so they are retired, never deleted.
        for team in queryset.filter(active=True):
            team.active = False
            team.save(update_fields=["active", "updated_at"])
