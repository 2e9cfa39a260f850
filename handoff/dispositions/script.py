"""The read-aloud script for an emergency call: what a 911 call-taker needs, in the order they
ask for it (location first, then a callback number, then what is happening). Built only from
what handoff.access.personal_view allows, and saying why where something is missing.

Each line is the console's own words with the values from outside kept apart (`Part.value`):
the page isolates each value and marks its hidden characters, so a direction override in a
street name cannot run on and reverse the postal code read out after it."""

from dataclasses import dataclass
from typing import Any

from handoff.access import Part, PersonalView, join_parts, value_parts
from handoff.directory.services import CenterMatch
from handoff.models import Handoff, HandoffSummary, SummaryStatus
from handoff.templatetags.untrusted import has_hidden


@dataclass(frozen=True)
class ScriptLine:
    label: str
    parts: tuple[Part, ...]
    missing: bool = False


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


def location_text(personal: PersonalView) -> ScriptLine:
    if personal.location is None:
        why = personal.location_missing
        return _line("Location", [Part(f"Unknown. {why} Ask the person where they are.")], True)
    gps = [Part(personal.gps)] if personal.gps else []
    source = value_parts(personal.location, "source", before="source: ")
    parts = join_parts([list(personal.address), gps, source], "; ")
    if not parts:
        return _line(
            "Location", [Part("Unknown: no usable address was sent. Ask the person.")], True
        )
    return _line("Location", parts)


def callback_text(personal: PersonalView) -> ScriptLine:
    if not personal.phone or personal.contact is None:
        return _line("Callback number", [Part(f"None. {personal.contact_missing}")], True)
    verified = (
        " (verified by the platform)" if personal.contact.get("phone_verified") is True else ""
    )
    name = value_parts(personal.contact, "name", before=" Name given: ", after=".")
    return _line(
        "Callback number",
        [Part(personal.spoken_phone, value=True), Part(f"{verified}."), *name],
    )


def _summary_lines(summary: dict[str, Any]) -> list[ScriptLine]:
    lines = [
        _line(
            "What is happening",
            [*value_parts(summary, "cad_line"), Part(" (machine summary)")],
        )
    ]
    means = summary.get("means") or []
    if means:
        described: list[list[Part]] = []
        for m in means:
            access = {True: " (has access)", False: " (says no access)"}.get(m.get("access"), "")
            kind = m.get("kind")
            words = MEANS_WORDS.get(kind) if isinstance(kind, str) else None
            said = [Part(words)] if words else value_parts(m, "kind")
            described.append([*said, Part(access)] if access else said)
        weapons = any(m.get("kind") == "firearm" for m in means)
        lines.append(
            _line(
                "Means and weapons",
                ([Part("WEAPON: ")] if weapons else []) + join_parts(described, "; "),
            )
        )
    else:
        lines.append(_line("Means and weapons", [Part("None mentioned. Ask.")], True))
    others = join_parts(
        (value_parts(f, "label") for f in summary.get("risk_to_others") or []), "; "
    )
    lines.append(_line("Risk to others", others or [Part("None mentioned.")]))
    return lines


def call_script(
    *, handoff: Handoff, personal: PersonalView, counselor_name: str, match: CenterMatch
) -> list[ScriptLine]:
    """The lines to read, from what `personal` (the consent gate's answer) allows."""
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
        location_text(personal),
        callback_text(personal),
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
