"""A refused case action says why, beside the field, and values a counselor typed on one line
are shown with their hidden characters as visible tokens. Found by tests/test_hostile_sweep.py:
a tampered or stale choice, a value over a field's length or with NUL answered 400 with nothing
said; a team's name, a reference, a call's center, number and incident number and an
assessment's reason were drawn with direction-control characters raw."""

import pytest
from django.utils import timezone

from handoff.models import EmergencyCall, MobileCrisisDispatch, RiskAssessment
from tests.cases.conftest import CaseWorld

pytestmark = pytest.mark.django_db

RLO = "\u202e"
NOW = timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def _refused(world: CaseWorld, path: str, data: dict[str, str], said: str) -> None:
    response = world.client.post(f"/cases/{world.case_id}/{path}", data)
    assert response.status_code == 400
    assert said in response.content.decode(), f"{path}: {said!r} not on the page"


def test_a_choice_not_offered_is_refused_with_a_reason(world: CaseWorld) -> None:
    choice = "Select a valid choice."
    _refused(world, "attempts", {"channel": "pigeon", "result": "no_answer"}, choice)
    _refused(world, "attempts", {"channel": "phone", "result": "maybe"}, choice)
    _refused(world, "assessment", {"tier": "extreme"}, choice)


def test_a_value_too_long_or_with_nul_is_refused_with_a_reason(world: CaseWorld) -> None:
    _refused(
        world,
        "mobile-crisis",
        {"team_name": "T" * 201, "requested_at": NOW},
        "Ensure this value has at most 200 characters",
    )
    _refused(
        world,
        "mobile-crisis",
        {"team_name": "Team", "reference": "R" * 101, "requested_at": NOW},
        "Ensure this value has at most 100 characters",
    )
    _refused(
        world,
        "close",
        {"outcome": "deescalated", "what_helped": "Talk.", "plan_warning_signs": "a\x00b"},
        "Null characters are not allowed.",
    )
    _refused(
        world,
        "emergency",
        {
            "center_name": "Center",
            "center_number": "6145550100",
            "dialed_at": NOW,
            "relayed": "Location.",
            "person_consented": "yes",
            "call_taker": "C" * 201,
        },
        "Ensure this value has at most 200 characters",
    )
    assert not MobileCrisisDispatch.objects.exists() and not EmergencyCall.objects.exists()


def test_one_line_values_a_counselor_typed_show_hidden_characters_as_tokens(
    world: CaseWorld,
) -> None:
    typed = f"ab{RLO}cd"
    client = world.client
    case = f"/cases/{world.case_id}"
    assert (
        client.post(
            f"{case}/assessment", {"tier": "imminent", "override_reason": typed}
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"{case}/mobile-crisis", {"team_name": typed, "reference": typed, "requested_at": NOW}
        ).status_code
        == 302
    )
    call = {
        "center_name": typed,
        "center_number": f"614{RLO}5550100",
        "incident_number": typed,
        "dialed_at": NOW,
        "relayed": "Location.",
        "person_consented": "yes",
    }
    assert client.post(f"{case}/emergency", call).status_code == 302
    assert RiskAssessment.objects.get().override_reason == typed  # stored as typed

    page = client.get(f"{case}/").content.decode()
    assert RLO not in page
    # Each of the six values, with its override drawn as a token.
    assert page.count("⟨RLO⟩") >= 6
