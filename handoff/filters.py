"""List pages' filter forms read leniently: a filter that does not parse is left out and named,
so the page still answers (never a 500, never a bare 400) and says what it ignored."""

from typing import Any

from django import forms


def valid_filters(form: forms.Form) -> tuple[dict[str, Any], list[str]]:
    """The form's valid, non-empty values by field name, and one line per field left out. A
    period (`period_from`, `period_to`) whose start is after its end is left out too."""
    form.is_valid()
    ignored = []
    values: dict[str, Any] = {}
    for name, field in form.fields.items():
        if name in form.errors:
            ignored.append(
                f"{field.label or name.title()}: {' '.join(str(e) for e in form.errors[name])}"
            )
            continue
        value = form.cleaned_data.get(name)
        if value not in (None, ""):
            values[name] = value
    start, end = values.get("period_from"), values.get("period_to")
    if start and end and start > end:
        ignored.append("Period: the start is after the end, so the period was left out.")
        values.pop("period_from"), values.pop("period_to")
    return values, ignored
