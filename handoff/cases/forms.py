"""Forms of the case page. Validation of what a path needs lives in the services; these only
turn posted text into typed values and say plainly what is wrong."""

from typing import Any

from django import forms

from counselors.models import User
from handoff.access import SUPERVISOR_ROLES
from handoff.dispositions.services import SAFETY_PLAN_FIELDS
from handoff.models import (
    ContactChannel,
    ContactResult,
    ContactStatus,
    DispatchStatus,
    EmergencyCenter,
    MobileCrisisTeam,
    NoConsentReason,
    Outcome,
    Tier,
)

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


def _dt(*, required: bool = True, label: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        required=required, widget=DATETIME, input_formats=DATETIME_FORMATS, label=label or None
    )


class ContactAttemptForm(forms.Form):
    channel = forms.ChoiceField(choices=ContactChannel.choices)
    result = forms.ChoiceField(choices=ContactResult.choices)


class ContactStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "None"), *ContactStatus.choices],
        required=False,
        error_messages={"invalid_choice": "Choose on the phone, texting or waiting for a reply."},
    )


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000)


class RelayForm(forms.Form):
    text = forms.CharField(
        label="Message to the person",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
    )


class AssessmentForm(forms.Form):
    """The counselor's tier, and a confirm-or-clear choice for each indicator the machine
    suggested (`suggested`: code and label)."""

    tier = forms.ChoiceField(choices=Tier.choices)
    override_reason = forms.CharField(required=False, max_length=500)

    def __init__(self, *args: Any, suggested: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.suggested = suggested
        for code, label in suggested:
            self.fields[self._indicator(code)] = forms.ChoiceField(
                label=label,
                choices=[("confirm", "Confirm"), ("clear", "Clear")],
                widget=forms.RadioSelect,
                required=False,
            )

    @classmethod
    def for_case(cls, *, tier: str, suggested: list[tuple[str, str]]) -> "AssessmentForm":
        """Unbound, starting from the case's tier with every suggestion confirmed."""
        initial = {"tier": tier, **{cls._indicator(code): "confirm" for code, _ in suggested}}
        return cls(suggested=suggested, initial=initial)

    @staticmethod
    def _indicator(code: str) -> str:
        return f"ind_{code}"

    def indicator_fields(self) -> list[forms.BoundField]:
        return [self[self._indicator(code)] for code, _ in self.suggested]

    def _chosen(self, choice: str) -> list[str]:
        data = self.cleaned_data
        return [c for c, _ in self.suggested if data.get(self._indicator(c)) == choice]

    def confirmed(self) -> list[str]:
        return self._chosen("confirm")

    def cleared(self) -> list[str]:
        return self._chosen("clear")


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[
            (o.value, o.label)
            for o in Outcome
            if o not in (Outcome.MOBILE_CRISIS, Outcome.EMERGENCY_CALL)
        ]
    )
    what_helped = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(required=False, label="Why not at risk")
    referred_to = forms.CharField(required=False)
    follow_up_at = _dt(required=False, label="Follow-up at (optional)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in SAFETY_PLAN_FIELDS:
            self.fields[self._plan(name)] = forms.CharField(
                required=False, label=label, widget=forms.Textarea(attrs={"rows": 2})
            )

    @staticmethod
    def _plan(name: str) -> str:
        return f"plan_{name}"

    def plan_fields(self) -> list[forms.BoundField]:
        return [self[self._plan(name)] for name, _ in SAFETY_PLAN_FIELDS]

    def safety_plan(self) -> dict[str, str] | None:
        """The safety-plan fields filled in, by name; None if none was."""
        data = self.cleaned_data
        plan = {n: data[self._plan(n)] for n, _ in SAFETY_PLAN_FIELDS if data.get(self._plan(n))}
        return plan or None


class DispatchForm(forms.Form):
    team = forms.ModelChoiceField(
        queryset=MobileCrisisTeam.objects.filter(active=True),
        required=False,
        error_messages={"invalid_choice": "That team is not in the directory."},
    )
    team_name = forms.CharField(required=False, max_length=200, label="Team not in the directory")
    requested_at = _dt()
    reference = forms.CharField(required=False, max_length=100, label="Team's reference")


class DispatchUpdateForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in DispatchStatus if s != DispatchStatus.REQUESTED]
    )
    at = _dt()
    note = forms.CharField(required=False, max_length=500)
    result = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class EmergencyCallForm(forms.Form):
    center = forms.ModelChoiceField(
        queryset=EmergencyCenter.objects.filter(active=True),
        required=False,
        label="From the directory",
        error_messages={"invalid_choice": "That emergency center is not in the directory."},
    )
    center_name = forms.CharField(required=False, max_length=200, label="Or by hand: the center")
    center_number = forms.CharField(required=False, max_length=20, label="Number dialed")
    dialed_at = _dt(label="Dialed at")
    answered_at = _dt(required=False, label="Answered at")
    call_taker = forms.CharField(required=False, max_length=200)
    incident_number = forms.CharField(
        required=False, max_length=100, label="Center's incident number"
    )
    relayed = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="What you relayed")
    person_consented = forms.TypedChoiceField(
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        label="Did the person agree to the call?",
    )
    no_consent_reason = forms.ChoiceField(
        choices=[("", "—"), *NoConsentReason.choices], required=False, label="If not, why"
    )
    supervisor_consulted = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True, role__in=SUPERVISOR_ROLES).order_by(
            "display_name", "username"
        ),
        required=False,
        empty_label="— none —",
        label="Supervisor consulted",
        error_messages={"invalid_choice": "Choose the supervisor you consulted."},
        # The id the page has always used (the browser tests select by it).
        widget=forms.Select(attrs={"id": "supervisor_consulted"}),
    )


class ConfirmForm(forms.Form):
    contact_confirmed = forms.TypedChoiceField(
        choices=[("yes", "Yes, they reached the person"), ("no", "No, they did not")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        label="Did emergency services reach the person?",
    )
    note = forms.CharField(required=False, max_length=500)


class AmendmentForm(forms.Form):
    reason = forms.CharField(max_length=500)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Correction")


class EraseForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why erase now (no personal details: the reason is kept)",
    )
