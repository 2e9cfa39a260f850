"""Keys rotate: `encryption_rotate` re-encrypts every value held under an older key with the
newest one, and afterwards removing the old key loses nothing. Every encrypted field is found by
its type (handoff.crypto.encrypted_fields), so one added later is covered here without being
named; the cases are written through the console's own doors (tests/support/full_case.py)."""

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from handoff.crypto import encrypt_text, encrypted_fields, generate_key
from handoff.models import Note
from tests.support.factories import handoff_body, post_signed
from tests.support.full_case import M, full_cases, markers_in, raw_database, raw_values
from tests.support.staff import signed_in

pytestmark = pytest.mark.django_db

OLD = f"old:{generate_key()}"
NEW = f"new:{generate_key()}"


def _label(model: Any, field: Any) -> str:
    return f"{model._meta.label}.{field.name}"


def _stored() -> dict[str, list[str]]:
    """Every encrypted column's non-null raw values, by `app.Model.field`."""
    return {
        _label(model, field): [v for v in raw_values(model, field.column) if v is not None]
        for model, field in encrypted_fields()
    }


def _shows_the_content(cases: Any) -> None:
    """The case pages and exports read, every text in place, with whatever keys are set now."""
    holder = signed_in(cases.counselor)
    page = holder.get(f"/cases/{cases.emergency}/")
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("said", "noteedit", "relay", "override", "team", "teamref", "teamnote",
                 "teamresult", "center", "incident", "confirm", "amendreason", "amendtext",
                 "review", "handover", "handback", "release"):  # fmt: skip
        assert M[name] in html, name
    export = holder.get(f"/cases/{cases.emergency}/export")
    assert export.status_code == 200
    text = export.content.decode()
    for name in ("said", "noteedit", "relay", "center", "incident", "confirm", "amendtext"):
        assert M[name] in text, name
    calm = holder.get(f"/cases/{cases.deescalated}/").content.decode()
    assert M["helped"] in calm and M["plan"] in calm
    erased = signed_in(cases.supervisor).get(f"/cases/{cases.erased}/")
    assert erased.status_code == 200
    assert M["erasereason"] in erased.content.decode()


def test_every_encrypted_column_holds_only_ciphertext(platform_factory: Any) -> None:
    cases = full_cases(platform_factory)
    stored = _stored()
    # Each encrypted field, whatever model it is on, was written by the cases above: one added
    # later fails here until tests/support/full_case.py writes it too.
    for label, values in stored.items():
        assert values, f"{label}: nothing written; make tests/support/full_case.py write it"
        for value in values:
            assert re.fullmatch(r"test\$gAAAAA[A-Za-z0-9_=-]+", value), (label, value[:40])
    # No typed text anywhere in the database's own columns: not in the encrypted ones, and
    # not copied into any other (the event log, the callback outbox, alerts, ...).
    assert markers_in(raw_database()) == []
    _shows_the_content(cases)


def test_rotate_then_remove_the_old_key(settings: Any, platform_factory: Any) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    cases = full_cases(platform_factory)
    before = _stored()
    assert all(v.startswith("old$") for values in before.values() for v in values)

    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    out = StringIO()
    call_command("encryption_rotate", batch=2, stdout=out)
    report = out.getvalue()
    count = sum(len(values) for values in before.values())
    assert f"{count} value(s) now under key 'new'." in report
    assert "handoff.TranscriptMessage.text: " in report
    assert "handoff.EmergencyCall.incident_number: 1 re-encrypted" in report
    assert "unreadable" not in report

    # Resumable and safe to run twice: nothing is left for a second run.
    again = StringIO()
    call_command("encryption_rotate", stdout=again)
    assert "0 value(s) now under key 'new'." in again.getvalue()

    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    after = _stored()
    assert {label: len(values) for label, values in after.items()} == {
        label: len(values) for label, values in before.items()
    }
    assert all(v.startswith("new$") for values in after.values() for v in values)
    assert markers_in(raw_database()) == []
    _shows_the_content(cases)
    # The platform's secrets were rotated too: its signed requests still verify.
    p = cases.platform
    response = post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body())
    assert response.status_code == 202


def test_a_value_no_key_reads_is_reported_and_the_rest_rotate(
    settings: Any, platform_factory: Any
) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    cases = full_cases(platform_factory)
    lost = f"lost:{generate_key()}"
    settings.FIELD_ENCRYPTION_KEYS = [lost, OLD]
    orphan = Note.objects.create(
        handoff_id=cases.emergency, author=cases.counselor, text="written under a lost key"
    )
    stored = raw_values(Note, "text")
    assert any(v.startswith("lost$") for v in stored)

    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    out = StringIO()
    with pytest.raises(CommandError, match="1 value\\(s\\) could not be read"):
        call_command("encryption_rotate", stdout=out)
    assert "handoff.Note.text: 2 re-encrypted, 1 unreadable" in out.getvalue()
    # The unreadable value is left as it was, for its key to be found; the others moved.
    notes = raw_values(Note, "text")
    assert sum(v.startswith("lost$") for v in notes) == 1
    assert sum(v.startswith("new$") for v in notes) == len(notes) - 1
    assert encrypt_text("x").startswith("new$")
    assert orphan.pk
