"""How the report page writes its figures."""

from django import template

register = template.Library()


@register.filter
def figure(value: float | None, unit: str = "") -> str:
    """A figure with its unit, whole numbers without decimals and others with one ("12 s",
    "33.3%"), or a dash when there is none (no case to measure). Django's floatformat gives the
    same text through Decimal and localization, at a hundred times the cost, and the report
    writes about sixty of them."""
    if value is None:
        return "\N{EN DASH}"
    number = float(value)
    return f"{number:.0f}{unit}" if number.is_integer() else f"{number:.1f}{unit}"
