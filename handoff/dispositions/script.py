"""The read-aloud script for an emergency call: what a 911 call-taker needs, in the order they
ask for it (location first, then a callback number, then what is happening). Built only from
what the person consented to share, and saying so where something is missing."""

from dataclasses import dataclass
from typing import Any

from handoff.directory.services import CenterMatch, format_phone
from handoff.models import Consent, Handoff, HandoffSummary, SummaryStatus


@dataclass(frozen=True)
class ScriptLine:
    label: str
    text: str
    missing: bool = False


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
    if not location:
        why = (
            "the person did not consent to share their location"
            if not (consent and consent.share_location)
            else "the platform sent no location"
        )
        return ScriptLine("Location", f"Unknown: {why}. Ask the person where they are.", True)
    parts = []
    civic = location.get("civic") or {}
    street = " ".join(
        p for p in (civic.get("street"), civic.get("unit") and f"unit {civic['unit']}") if p
    )
    area = ", ".join(
        p
        for p in (
            street,
            civic.get("city"),
            civic.get("county") and f"{civic['county']} County",
            " ".join(p for p in (civic.get("state"), civic.get("postal_code")) if p),
        )
        if p
    )
    if area:
        parts.append(area)
    geo = location.get("geo")
    if geo:
        accuracy = f" within {geo['accuracy_m']:.0f} m" if geo.get("accuracy_m") is not None else ""
        parts.append(f"GPS {geo['lat']:.5f}, {geo['lon']:.5f}{accuracy}")
    source = location.get("source")
    if source:
        parts.append(f"source: {source}")
    return ScriptLine("Location", "; ".join(parts))


def callback_text(handoff: Handoff) -> ScriptLine:
    consent = _consent(handoff)
    contact = handoff.contact if consent and consent.share_profile else None
    phone = (contact or {}).get("phone")
    if not phone:
        why = (
            "the person did not consent to share their phone number"
            if not (consent and consent.share_profile)
            else "no phone number was shared"
        )
        return ScriptLine("Callback number", f"None: {why}.", True)
    verified = " (verified by the platform)" if contact and contact.get("phone_verified") else ""
    name = f" Name given: {contact['name']}." if contact and contact.get("name") else ""
    return ScriptLine("Callback number", f"{_spoken_phone(phone)}{verified}.{name}")


def _spoken_phone(e164: str) -> str:
    digits = e164.removeprefix("+1") if e164.startswith("+1") and len(e164) == 12 else None
    return format_phone(digits) if digits else e164


def call_script(*, handoff: Handoff, counselor_name: str, match: CenterMatch) -> list[ScriptLine]:
    summary = latest_summary(handoff)
    lines = [
        ScriptLine(
            "Who is calling",
            f"This is {counselor_name}, a crisis counselor. I am in contact through an online "
            "chat with a person at risk of suicide and I need emergency help sent to them.",
        ),
        location_text(handoff),
        callback_text(handoff),
    ]
    if summary:
        lines.append(ScriptLine("What is happening", f"{summary['cad_line']} (machine summary)"))
        means = summary.get("means") or []
        if means:
            described = []
            for m in means:
                access = {True: " (has access)", False: " (says no access)"}.get(
                    m.get("access"), ""
                )
                described.append(MEANS_WORDS.get(m["kind"], m["kind"]) + access)
            weapons = any(m["kind"] == "firearm" for m in means)
            text = "; ".join(described)
            lines.append(ScriptLine("Means and weapons", ("WEAPON: " if weapons else "") + text))
        else:
            lines.append(ScriptLine("Means and weapons", "None mentioned. Ask.", True))
        others = summary.get("risk_to_others") or []
        lines.append(
            ScriptLine(
                "Risk to others",
                "; ".join(f["label"] for f in others) if others else "None mentioned.",
            )
        )
    else:
        lines.append(
            ScriptLine(
                "What is happening",
                f"{handoff.get_tier_display()} risk of suicide (no machine summary available).",
                True,
            )
        )
    if match.center is None:
        lines.append(ScriptLine("Emergency center", match.explanation, True))
    return lines
