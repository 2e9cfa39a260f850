"""Who a counselor phones for a person's location: the emergency center and mobile crisis teams.

The lookup only ever proposes; the counselor dials. When it cannot be sure it says so and why,
so the counselor enters the center by hand instead of trusting a guess: a wrong center costs
minutes the person may not have. It never matches across states, and explanations never repeat
the street address (they are shown on screens and may be copied into notes).
"""

import re
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import Q

from handoff.directory.imports import STATE_NAMES
from handoff.models import EmergencyCenter, MobileCrisisTeam

MANUAL = "enter the emergency center by hand"

_STATE_BY_NAME = {name.casefold(): code for code, name in STATE_NAMES.items()}
_ZIP = re.compile(r"^([0-9]{5})(?:-?[0-9]{4})?$")
_COUNTY_SUFFIX = re.compile(r"\s+(county|parish)$", re.IGNORECASE)


@dataclass(frozen=True)
class CenterMatch:
    center: EmergencyCenter | None
    matched_by: Literal["postal_code", "county", "none"]
    explanation: str


@dataclass(frozen=True)
class _Place:
    """The parts of a civic address the directory can use, normalised."""

    country: str
    state: str  # a USPS code, or "" when missing or not recognised
    state_given: str  # as shared, for explanations when it is not recognised
    county: str  # without " County"
    city: str
    postal_code: str  # five digits, or ""


def format_phone(ten_digits: str) -> str:
    """ "6146454545" -> "(614) 645-4545". Anything else is returned as it is, so a screen never
    fails over a number typed by hand."""
    if len(ten_digits) == 10 and ten_digits.isdigit():
        return f"({ten_digits[:3]}) {ten_digits[3:6]}-{ten_digits[6:]}"
    return ten_digits


def county_key(county: str) -> str:
    """The same key for "Franklin County" and "franklin"."""
    return _COUNTY_SUFFIX.sub("", " ".join(county.split())).casefold()


def _text(civic: dict[str, Any], key: str) -> str:
    value = civic.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return " ".join(value.split()) if isinstance(value, str) else ""


def _state_code(value: str) -> str:
    if value.upper() in STATE_NAMES:
        return value.upper()
    return _STATE_BY_NAME.get(value.casefold(), "")


def _place(location: dict[str, Any] | None) -> _Place | str:
    """The usable address, or why there is none."""
    if not location:
        return f"No location shared: {MANUAL}"
    civic = location.get("civic")
    if not isinstance(civic, dict) or not civic:
        if location.get("geo"):
            return f"Location shared as coordinates only, with no civic address: {MANUAL}"
        return f"No civic address in the shared location: {MANUAL}"
    raw_postal = _text(civic, "postal_code")
    postal = _ZIP.match(raw_postal)
    state_given = _text(civic, "state")
    county = _text(civic, "county")
    return _Place(
        country=_text(civic, "country").upper(),
        state=_state_code(state_given),
        state_given=state_given,
        county=_COUNTY_SUFFIX.sub("", county),
        city=_text(civic, "city"),
        postal_code=postal.group(1) if postal else "",
    )


def _county_label(place: _Place) -> str:
    kind = "Parish" if place.state == "LA" else "County"
    return f"{place.county} {kind}, {place.state}"


def _names(centers: list[EmergencyCenter]) -> str:
    return ", ".join(center.name for center in centers)


def emergency_center_for(*, location: dict[str, Any] | None) -> CenterMatch:
    """The active center for a handoff's stored location: by postal code, then by state and
    county, else none with the reason, so the counselor enters the center by hand."""
    place = _place(location)
    if isinstance(place, str):
        return CenterMatch(None, "none", place)
    if place.country and place.country != "US":
        return CenterMatch(None, "none", f"The location is outside the United States: {MANUAL}")
    if place.state_given and not place.state:
        return CenterMatch(None, "none", f"State {place.state_given!r} is not recognised: {MANUAL}")

    if place.postal_code:
        by_zip = EmergencyCenter.objects.filter(
            active=True, postal_codes__postal_code=place.postal_code
        ).distinct()
        if place.state:
            by_zip = by_zip.filter(state=place.state)
        candidates = list(by_zip.order_by("name"))
        if len(candidates) == 1:
            return CenterMatch(
                candidates[0], "postal_code", f"Matched by postal code {place.postal_code}"
            )
        if len(candidates) > 1:
            # A ZIP split between centers: the county may settle it, and if not, nobody guesses.
            if place.state and place.county:
                key = place.county.casefold()
                in_county = [c for c in candidates if county_key(c.county) == key]
                if len(in_county) == 1:
                    return CenterMatch(
                        in_county[0],
                        "postal_code",
                        f"Matched by postal code {place.postal_code} and {_county_label(place)}",
                    )
            return CenterMatch(
                None,
                "none",
                f"Postal code {place.postal_code} is covered by {len(candidates)} centers "
                f"({_names(candidates)}): {MANUAL}",
            )

    if not place.state:
        if place.postal_code:
            return CenterMatch(
                None,
                "none",
                f"Postal code {place.postal_code} is not in the directory and no state was "
                f"shared: {MANUAL}",
            )
        return CenterMatch(None, "none", f"The shared address has no state: {MANUAL}")
    if not place.county:
        where = f"postal code {place.postal_code}" if place.postal_code else "this address"
        return CenterMatch(
            None,
            "none",
            f"No county shared and {where} is not in the directory for {place.state}: {MANUAL}",
        )

    candidates = list(
        EmergencyCenter.objects.filter(active=True, state=place.state)
        .filter(
            Q(county__iexact=place.county)
            | Q(county__iexact=f"{place.county} County")
            | Q(county__iexact=f"{place.county} Parish")
        )
        .order_by("name")
    )
    if len(candidates) > 1 and place.city:
        # Several centers in one county (a city's own and the sheriff's): the city decides.
        in_city = [c for c in candidates if c.city.casefold() == place.city.casefold()]
        if len(in_city) == 1:
            return CenterMatch(
                in_city[0],
                "county",
                f"Matched by {_county_label(place)} and the city of {place.city}",
            )
    if len(candidates) == 1:
        return CenterMatch(candidates[0], "county", f"Matched by {_county_label(place)}")
    if len(candidates) > 1:
        return CenterMatch(
            None,
            "none",
            f"{_county_label(place)} has {len(candidates)} centers ({_names(candidates)}): "
            f"{MANUAL}",
        )
    return CenterMatch(None, "none", f"{_county_label(place)} is not in the directory: {MANUAL}")


def mobile_crisis_teams_for(*, location: dict[str, Any] | None) -> list[MobileCrisisTeam]:
    """Active teams covering the location: postal-code matches first, then county matches.
    Never a team from another state; empty when the location says too little."""
    place = _place(location)
    if isinstance(place, str):
        return []
    if place.country and place.country != "US":
        return []
    if place.state_given and not place.state:
        return []
    teams = MobileCrisisTeam.objects.filter(active=True)
    if place.state:
        teams = teams.filter(state=place.state)
    elif place.postal_code:
        teams = teams.filter(postal_codes__contains=[place.postal_code])
    else:
        return []

    by_zip: list[MobileCrisisTeam] = []
    by_county: list[MobileCrisisTeam] = []
    key = place.county.casefold()
    for team in teams.order_by("name"):
        if place.postal_code and place.postal_code in team.postal_codes:
            by_zip.append(team)
        elif place.state and key and any(county_key(c) == key for c in team.counties):
            by_county.append(team)
    return by_zip + by_county
