"""The read-aloud script for an emergency call: what a 911 call-taker needs, in the order they
ask for it (location first, then a callback number, then what is happening). Built only from
what the person consented to share, and saying so where something is missing.

Each line is the console's own words with the values from outside kept apart (`Part.value`):
the page isolates each value and marks its hidden characters, so a direction override in a
street name cannot run on and reverse the postal code read out after it."""

from collections.abc import Iterable
from dataclasses import dataclass
from math import isfinite
from typing import Any

from handoff.directory.services import CenterMatch, format_phone
from handoff.models import Consent, Handoff, HandoffSummary, SummaryStatus
from handoff.templatetags.untrusted import has_hidden


@dataclass(frozen=True)
class Part:
    text: str
    value: bool = False  # from outside the console: shown isolated, hidden characters marked


@dataclass(frozen=True)
class ScriptLine:
    label: str
    parts: tuple[Part, ...]
    missing: bool = False


def _field(source: dict[str, Any], key: str, *, before: str = "", after: str = "") -> list[Part]:
    """One value as sent, between the console's words; nothing if it is absent or not text."""
    value = source.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        return []
    parts = [Part(before)] if before else []
    parts.append(Part(value, value=True))
    if after:
        parts.append(Part(after))
    return parts


def _join(groups: Iterable[list[Part]], sep: str) -> list[Part]:
    out: list[Part] = []
    for group in groups:
        if group and out:
            out.append(Part(sep))
        out.extend(group)
    return out


def _number(source: dict[str, Any], key: str) -> float | None:
    value = source.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool) and isfinite(value):
        return float(value)
    return None


def _line(label: str, parts: list[Part], missing: bool = False) -> ScriptLine:
    if any(p.value and has_hidden(p.text) for p in parts):
        parts = [*parts, Part(" Hidden characters in what was sent are shown marked: check it.")]
    return ScriptLine(label, tuple(parts), missing)


MEANS_WORDS = {
    "firearm": "a firearm",
    "medication": "medication or pills (overdose)",
    "heights": "a height (jumping)",
    "vehicle": "a vehicle",
    "cutting": "a blade (cutting)",
    "hanging": "hanging",
    "poison": "poison or chemicals",
    "other": "another method",
}


def latest_summary(handoff: Handoff) -> dict[str, Any] | None:
    stored = (
        HandoffSummary.objects.filter(handoff=handoff, status=SummaryStatus.READY)
        .order_by("-transcript_version")
        .first()
    )
    return stored.data if stored else None


def _consent(handoff: Handoff) -> Consent | None:
    return Consent.objects.filter(handoff=handoff).first()


def location_text(handoff: Handoff) -> ScriptLine:
    consent = _consent(handoff)
    location = handoff.location if consent and consent.share_location else None
    if not location or not isinstance(location, dict):
        why = (
            "the person did not consent to share their location"
            if not (consent and consent.share_location)
            else "the platform sent no location"
        )
        return _line("Location", [Part(f"Unknown: {why}. Ask the person where they are.")], True)
    civic = location.get("civic")
    civic = civic if isinstance(civic, dict) else {}
    street = _join([_field(civic, "street"), _field(civic, "unit", before="unit ")], " ")
    state_postal = _join([_field(civic, "state"), _field(civic, "postal_code")], " ")
    area = _join(
        [street, _field(civic, "city"), _field(civic, "county", after=" County"), state_postal],
        ", ",
    )
    geo = location.get("geo")
    geo = geo if isinstance(geo, dict) else {}
    lat, lon, accuracy = _number(geo, "lat"), _number(geo, "lon"), _number(geo, "accuracy_m")
    gps = []
    if lat is not None and lon is not None:
        within = f" within {accuracy:.0f} m" if accuracy is not None else ""
        gps = [Part(f"GPS {lat:.5f}, {lon:.5f}{within}")]
    parts = _join([area, gps, _field(location, "source", before="source: ")], "; ")
    if not parts:
        return _line(
            "Location", [Part("Unknown: no usable address was sent. Ask the person.")], True
        )
    return _line("Location", parts)


def callback_text(handoff: Handoff) -> ScriptLine:
    consent = _consent(handoff)
    contact = handoff.contact if consent and consent.share_profile else None
    contact = contact if isinstance(contact, dict) else {}
    phone = contact.get("phone")
    if not isinstance(phone, str) or not phone.strip():
        why = (
            "the person did not consent to share their phone number"
            if not (consent and consent.share_profile)
            else "no phone number was shared"
        )
        return _line("Callback number", [Part(f"None: {why}.")], True)
    verified = " (verified by the platform)" if contact.get("phone_verified") is True else ""
    name = _field(contact, "name", before=" Name given: ", after=".")
    return _line(
        "Callback number", [Part(_spoken_phone(phone), value=True), Part(f"{verified}."), *name]
    )


def _spoken_phone(e164: str) -> str:
    digits = e164.removeprefix("+1") if e164.startswith("+1") and len(e164) == 12 else None
    return format_phone(digits) if digits else e164


def _summary_lines(summary: dict[str, Any]) -> list[ScriptLine]:
    lines = [
        _line(
            "What is happening",
            [*_field(summary, "cad_line"), Part(" (machine summary)")],
        )
    ]
    means = summary.get("means") or []
    if means:
        described: list[list[Part]] = []
        for m in means:
            access = {True: " (has access)", False: " (says no access)"}.get(m.get("access"), "")
            kind = m.get("kind")
            words = MEANS_WORDS.get(kind) if isinstance(kind, str) else None
            said = [Part(words)] if words else _field(m, "kind")
            described.append([*said, Part(access)] if access else said)
        weapons = any(m.get("kind") == "firearm" for m in means)
        lines.append(
            _line(
                "Means and weapons",
                ([Part("WEAPON: ")] if weapons else []) + _join(described, "; "),
            )
        )
    else:
        lines.append(_line("Means and weapons", [Part("None mentioned. Ask.")], True))
    others = _join((_field(f, "label") for f in summary.get("risk_to_others") or []), "; ")
    lines.append(_line("Risk to others", others or [Part("None mentioned.")]))
    return lines


def call_script(*, handoff: Handoff, counselor_name: str, match: CenterMatch) -> list[ScriptLine]:
    summary = latest_summary(handoff)
    lines = [
        _line(
            "Who is calling",
            [
                Part("This is "),
                Part(counselor_name, value=True),
                Part(
                    ", a crisis counselor. I am in contact through an online chat with a person "
                    "at risk of suicide and I need emergency help sent to them."
                ),
            ],
        ),
        location_text(handoff),
        callback_text(handoff),
    ]
    if summary:
        lines.extend(_summary_lines(summary))
    else:
        lines.append(
            _line(
                "What is happening",
                [
                    Part(
                        f"{handoff.get_tier_display()} risk of suicide "
                        "(no machine summary available)."
                    )
                ],
                True,
            )
        )
    if match.center is None:
        # The directory's explanation may repeat the state or county as shared.
        lines.append(_line("Emergency center", [Part(match.explanation, value=True)], True))
    return lines
