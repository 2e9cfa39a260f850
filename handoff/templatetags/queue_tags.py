from datetime import datetime

from django import template

register = template.Library()


@register.filter
def isoformat(value: datetime | None) -> str:
    """Machine-readable times for the browser's ticking timers."""
    return value.isoformat() if value else ""
