from datetime import datetime

from django import template

from handoff.directory.services import format_phone

register = template.Library()


@register.filter
def isoformat(value: datetime | None) -> str:
    """Machine-readable times for the browser's ticking timers."""
    return value.isoformat() if value else ""


@register.filter
def phone(value: str) -> str:
    """Ten digits as a North American number; anything else as it is."""
    return format_phone(value or "")


@register.filter
def field_label(value: str) -> str:
    """A stored field name as a heading: "incident_number" -> "Incident number"."""
    return (value or "").replace("_", " ").capitalize()
