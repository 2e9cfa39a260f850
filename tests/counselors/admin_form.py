"""Post Django admin's change form for an account as a real admin would: what the form shows,
with the fields they changed."""

from typing import Any

from django import forms
from django.test import Client

from counselors.models import User


def change_url(user: User) -> str:
    return f"/admin/counselors/user/{user.pk}/change/"


def post_change(admin: Client, user: User, **changes: Any) -> Any:
    """GET the change form, keep every value it shows, apply `changes` (a checkbox: True/False),
    POST it. Returns the response (302 when saved). A change to a field the form does not offer
    is posted anyway, as a crafted request would."""
    page = admin.get(change_url(user))
    assert page.status_code == 200
    form = page.context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = changes.get(name, form[name].value())
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        elif isinstance(field, forms.SplitDateTimeField):
            parts = field.widget.decompress(value) if value else [None, None]
            data[f"{name}_0"] = parts[0].isoformat() if parts[0] else ""
            data[f"{name}_1"] = parts[1].strftime("%H:%M:%S") if parts[1] else ""
        elif isinstance(field, forms.ModelMultipleChoiceField):
            data[name] = [getattr(v, "pk", v) for v in value or []]
        else:
            data[name] = "" if value is None else value
    for name, value in changes.items():
        if name not in form.fields and value:
            data[name] = "on" if value is True else value
    return admin.post(change_url(user), data)
