"""The one place that decides who may see or act on a case, and what of the person's data a
staff member is shown: views, consumers, the read-aloud script and exports ask."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from math import isfinite
from typing import Any

from django.contrib.auth.models import AnonymousUser

from counselors.models import Role, User
from handoff.directory.services import format_phone
from handoff.models import OWNED_STATUSES, Consent, FollowUp, Handoff, Status

STAFF_ROLES = (Role.COUNSELOR, Role.SUPERVISOR, Role.ADMIN)
SUPERVISOR_ROLES = (Role.SUPERVISOR, Role.ADMIN)


def is_staff_member(user: User | AnonymousUser) -> bool:
    return bool(
        user.is_authenticated and user.is_active and getattr(user, "role", None) in STAFF_ROLES
    )


def is_supervisor(user: User | AnonymousUser) -> bool:
    return is_staff_member(user) and getattr(user, "role", None) in SUPERVISOR_ROLES


def can_manage_account(actor: User | AnonymousUser, person: User) -> bool:
    """End a person's sessions or reset their second factor: supervisors for counselors and
    supervisors, administrators for anyone (a supervisor must not be able to take over an
    administrator's account by resetting its factor)."""
    if not is_supervisor(actor):
        return False
    return getattr(actor, "role", None) == Role.ADMIN or person.role != Role.ADMIN


def can_unlock_sign_in(actor: User | AnonymousUser) -> bool:
    """Lift a sign-in lockout before it ends: administrators."""
    return is_staff_member(actor) and getattr(actor, "role", None) == Role.ADMIN


def can_view_case(user: User | AnonymousUser, handoff: Handoff) -> bool:
    """Any counselor may read a waiting case before claiming it; once claimed, only its holder
    and supervisors. A closed case keeps the counselor who closed it as its holder, and opens
    to whoever holds its open follow-up."""
    if not is_staff_member(user):
        return False
    if is_supervisor(user):
        return True
    if handoff.status == Status.QUEUED:
        return True
    if handoff.claimed_by_id == user.pk:
        return True
    return handoff.status == Status.CLOSED and follows_up(user, handoff)


def follows_up(user: User | AnonymousUser, handoff: Handoff) -> bool:
    """A closed case may be opened for its follow-up by whoever holds that follow-up (its
    counselor, or whoever took it from the floor) until it is done."""
    return FollowUp.objects.filter(
        handoff_id=handoff.pk, counselor_id=user.pk, done_at__isnull=True
    ).exists()


def can_export_case(user: User | AnonymousUser, handoff: Handoff) -> bool:
    """The whole record at once (export, or any other bulk read of personal data): the counselor
    holding the case, or a supervisor. Reading a waiting case before claiming it is for deciding
    whether to take it, not for taking its record away."""
    if not is_staff_member(user):
        return False
    return is_supervisor(user) or handoff.claimed_by_id == user.pk


def can_act_on_case(user: User | AnonymousUser, handoff: Handoff) -> bool:
    """Release, transfer, record and close: the owner, or a supervisor."""
    if not is_staff_member(user):
        return False
    if handoff.status not in OWNED_STATUSES:
        return False
    return handoff.claimed_by_id == user.pk or is_supervisor(user)


# --- personal data ------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """A piece of a line shown to staff: the console's own words, or a value from outside
    (`value`), which every page isolates and whose hidden characters it marks."""

    text: str
    value: bool = False


@dataclass(frozen=True)
class PersonalView:
    """What a staff member may be shown of the person, and why not where something is held
    back. The case page, the read-aloud script and the export all read this and nothing else."""

    consent: Consent | None
    contact: dict[str, Any] | None  # as the platform sent it, only if shared
    location: dict[str, Any] | None  # as the platform sent it, only if shared
    contact_missing: str  # why there is no phone to show ("" when there is one)
    location_missing: str  # why there is no location ("" when there is one)
    phone: str = ""  # as sent (E.164)
    spoken_phone: str = ""  # as read aloud: "(614) 555-0142" for a US number
    address: tuple[Part, ...] = ()  # street, unit, city, county, state and postal code
    gps: str = ""  # the console's words for usable coordinates

    @property
    def shown(self) -> dict[str, bool]:
        """What was shown, for the record of who saw the person's data."""
        return {"contact": bool(self.contact), "location": bool(self.location)}


def value_parts(
    source: Mapping[str, Any], key: str, *, before: str = "", after: str = ""
) -> list[Part]:
    """One value as sent, between the console's words; nothing if it is absent or not text."""
    value = source.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        return []
    return [
        *([Part(before)] if before else []),
        Part(value, value=True),
        *([Part(after)] if after else []),
    ]


def join_parts(groups: Iterable[list[Part]], sep: str) -> list[Part]:
    """The non-empty groups, with the console's separator between them."""
    out: list[Part] = []
    for group in groups:
        if group and out:
            out.append(Part(sep))
        out.extend(group)
    return out


def _number(source: Mapping[str, Any], key: str) -> float | None:
    value = source.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool) and isfinite(value):
        return float(value)
    return None


def _address(location: Mapping[str, Any]) -> tuple[Part, ...]:
    civic = location.get("civic")
    civic = civic if isinstance(civic, dict) else {}
    street = join_parts(
        [value_parts(civic, "street"), value_parts(civic, "unit", before="unit ")], " "
    )
    state_postal = join_parts([value_parts(civic, "state"), value_parts(civic, "postal_code")], " ")
    county = value_parts(civic, "county", after=" County")
    return tuple(join_parts([street, value_parts(civic, "city"), county, state_postal], ", "))


def _gps(location: Mapping[str, Any]) -> str:
    """Coordinates only when they are numbers: a row stored before validation with text there
    is left out rather than shown as if it were a position."""
    geo = location.get("geo")
    geo = geo if isinstance(geo, dict) else {}
    lat, lon, accuracy = _number(geo, "lat"), _number(geo, "lon"), _number(geo, "accuracy_m")
    if lat is None or lon is None:
        return ""
    within = f" within {accuracy:.0f} m" if accuracy is not None else ""
    return f"GPS {lat:.5f}, {lon:.5f}{within}"


def _spoken(e164: str) -> str:
    digits = e164.removeprefix("+1") if e164.startswith("+1") and len(e164) == 12 else None
    return format_phone(digits) if digits else e164


def personal_view(user: User | AnonymousUser, handoff: Handoff) -> PersonalView:
    """The consent gate: contact details only if the person agreed to share their profile, the
    location only if they agreed to share it, and nothing to anyone who may not read the case."""
    if not can_view_case(user, handoff):
        return PersonalView(None, None, None, NOT_YOURS, NOT_YOURS)
    consent = Consent.objects.filter(handoff=handoff).first()
    share_profile = bool(consent and consent.share_profile)
    share_location = bool(consent and consent.share_location)
    contact = handoff.contact if share_profile and isinstance(handoff.contact, dict) else None
    location = handoff.location if share_location and isinstance(handoff.location, dict) else None
    phone = contact.get("phone") if contact else None
    phone = phone.strip() if isinstance(phone, str) else ""
    if not share_profile:
        contact_missing = PROFILE_NOT_SHARED
    elif not contact:
        contact_missing = "The platform sent no contact details."
    elif not phone:
        contact_missing = "The platform sent no phone number."
    else:
        contact_missing = ""
    if not share_location:
        location_missing = LOCATION_NOT_SHARED
    elif not location:
        location_missing = "The platform sent no location."
    else:
        location_missing = ""
    return PersonalView(
        consent=consent,
        contact=contact or None,
        location=location or None,
        contact_missing=contact_missing,
        location_missing=location_missing,
        phone=phone,
        spoken_phone=_spoken(phone) if phone else "",
        address=_address(location) if location else (),
        gps=_gps(location) if location else "",
    )


PROFILE_NOT_SHARED = (
    "Not shared: the person did not consent to share their phone number or profile."
)
LOCATION_NOT_SHARED = "Not shared: the person did not consent to share their location."
NOT_YOURS = "Not shown: this case is not yours to read."
