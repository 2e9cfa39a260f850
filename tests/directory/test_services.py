"""Lookup after a real import: postal code first, then state and county, else by hand."""

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from handoff.directory.services import (
    emergency_center_for,
    format_phone,
    mobile_crisis_teams_for,
)
from handoff.models import EmergencyCenter

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
STREET = "100 Example Street"


@pytest.fixture(autouse=True)
def _directory() -> None:
    call_command("import_emergency_centers", str(DATA / "centers.csv"), stdout=io.StringIO())
    call_command("import_mobile_crisis_teams", str(DATA / "teams.csv"), stdout=io.StringIO())


def at(**civic: Any) -> dict[str, Any]:
    return {
        "civic": {"country": "US", "street": STREET, **civic},
        "geo": {"lat": 39.96, "lon": -83.0},
        "source": "device",
    }


def psap(location: dict[str, Any] | None) -> str | None:
    match = emergency_center_for(location=location)
    assert STREET not in match.explanation
    return match.center.psap_id if match.center else None


def test_postal_code_match() -> None:
    match = emergency_center_for(location=at(state="OH", county="Franklin", postal_code="43215"))
    assert match.center is not None
    assert match.center.psap_id == "9001"
    assert match.matched_by == "postal_code"
    assert match.explanation == "Matched by postal code 43215"
    assert format_phone(match.center.emergency_line) == "(614) 555-0101"


def test_zip_plus_four_uses_the_first_five_digits() -> None:
    assert psap(at(state="OH", postal_code="43201-1234")) == "9001"
    assert psap(at(postal_code="432011234")) == "9001"


def test_county_match_when_the_postal_code_is_not_listed() -> None:
    match = emergency_center_for(
        location=at(state="OH", county="Delaware", city="Powell", postal_code="43065")
    )
    assert match.center is not None
    assert match.center.psap_id == "9002"
    assert match.matched_by == "county"
    assert match.explanation == "Matched by Delaware County, OH"


def test_county_names_are_matched_loosely() -> None:
    # The directory says "Delaware County"; the location may say either, in any case.
    assert psap(at(state="OH", county="DELAWARE county")) == "9002"
    assert psap(at(state="oh", county="pickaway")) == "9005"
    assert psap(at(state="Ohio", county="Pickaway County")) == "9005"
    assert psap(at(state="LA", county="Orleans")) == "9004"
    assert psap(at(state="LA", county="Orleans Parish")) == "9004"


def test_postal_code_beats_county_when_they_disagree() -> None:
    # 43215 is listed for the Franklin center; the county says Delaware.
    match = emergency_center_for(location=at(state="OH", county="Delaware", postal_code="43215"))
    assert match.center is not None
    assert match.center.psap_id == "9001"
    assert match.matched_by == "postal_code"


def test_unknown_place_falls_back_to_manual_entry_saying_why() -> None:
    match = emergency_center_for(location=at(state="OH", county="Licking", postal_code="43055"))
    assert match.center is None
    assert match.matched_by == "none"
    assert match.explanation == (
        "Licking County, OH is not in the directory: enter the emergency center by hand"
    )


def test_no_location_falls_back_to_manual_entry() -> None:
    locations: list[dict[str, Any] | None] = [None, {}]
    for location in locations:
        match = emergency_center_for(location=location)
        assert match.center is None
        assert match.matched_by == "none"
        assert match.explanation == "No location shared: enter the emergency center by hand"


def test_coordinates_without_a_civic_address_fall_back() -> None:
    match = emergency_center_for(location={"geo": {"lat": 39.96, "lon": -83.0}})
    assert match.center is None
    assert "coordinates only" in match.explanation
    assert "39.96" not in match.explanation


def test_never_matches_across_states() -> None:
    # Indiana has a Wayne County center; Ohio's Wayne County is not covered.
    match = emergency_center_for(location=at(state="OH", county="Wayne"))
    assert match.center is None
    assert match.explanation.startswith("Wayne County, OH is not in the directory")
    # An Indiana ZIP with an Ohio state is not trusted either.
    assert psap(at(state="OH", postal_code="47374")) is None
    assert psap(at(state="IN", postal_code="47374")) == "9003"


def test_a_zip_alone_is_enough_but_a_county_needs_its_state() -> None:
    assert psap(at(postal_code="47374")) == "9003"
    match = emergency_center_for(location=at(county="Franklin"))
    assert match.center is None
    assert "no state" in match.explanation


def test_outside_the_us_and_unrecognised_states_fall_back() -> None:
    assert (
        "outside the United States"
        in emergency_center_for(
            location=at(country="CA", state="ON", postal_code="43215")
        ).explanation
    )
    assert (
        "'Atlantis' is not recognised"
        in emergency_center_for(location=at(state="Atlantis", postal_code="43215")).explanation
    )


def test_a_zip_split_between_centers_is_settled_by_county_or_not_at_all() -> None:
    # 43017 is listed by both the Franklin and the Delaware centers.
    match = emergency_center_for(location=at(state="OH", county="Delaware", postal_code="43017"))
    assert match.center is not None
    assert match.center.psap_id == "9002"
    assert match.explanation == "Matched by postal code 43017 and Delaware County, OH"
    match = emergency_center_for(location=at(state="OH", postal_code="43017"))
    assert match.center is None
    assert "covered by 2 centers" in match.explanation


def test_a_county_with_several_centers_is_settled_by_city_or_not_at_all() -> None:
    assert psap(at(state="OH", county="Hamilton", city="cincinnati")) == "9006"
    match = emergency_center_for(location=at(state="OH", county="Hamilton", city="Norwood"))
    assert match.center is None
    assert "Hamilton County, OH has 2 centers" in match.explanation


def test_inactive_centers_are_not_proposed() -> None:
    EmergencyCenter.objects.filter(psap_id="9001").update(active=False)
    match = emergency_center_for(location=at(state="OH", county="Franklin", postal_code="43215"))
    assert match.center is None
    assert match.explanation.startswith("Franklin County, OH is not in the directory")


def test_format_phone() -> None:
    assert format_phone("6146454545") == "(614) 645-4545"
    assert format_phone("911") == "911"


# Mobile crisis teams --------------------------------------------------------------------------


def names(location: dict[str, Any] | None) -> list[str]:
    return [team.name for team in mobile_crisis_teams_for(location=location)]


def test_teams_by_county() -> None:
    assert names(at(state="OH", county="Pickaway County")) == ["Franklin Example Mobile Crisis"]
    assert names(at(state="OH", county="delaware")) == ["Delaware Example Crisis Response"]


def test_teams_by_postal_code_come_before_county_matches() -> None:
    assert names(at(state="OH", county="Franklin", postal_code="43210-0001")) == [
        "Columbus Campus Example Team",
        "Franklin Example Mobile Crisis",
    ]
    assert names(at(postal_code="43015")) == ["Delaware Example Crisis Response"]


def test_teams_never_cross_states_and_need_a_location() -> None:
    assert names(at(state="OH", county="Wayne")) == []
    assert names(at(state="IN", county="Wayne")) == ["Wayne Example Mobile Team"]
    assert names(None) == []
    assert names({"geo": {"lat": 1.0, "lon": 2.0}}) == []
