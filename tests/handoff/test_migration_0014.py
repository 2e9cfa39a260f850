"""Migration 0014 on rows written before it: the clinical free text stored in plain columns is
encrypted in place, and typed text leaves the event log (a release's reason moves to an
encrypted Release row; names of centers and teams, and a summary failure's words, are on their
own rows already) and the callback outbox. Run on PostgreSQL, whose trigger refuses changes to
the event log outside the migration, and backwards to prove the migration can be undone."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from handoff.crypto import decrypt_text
from tests.support.full_case import raw_rows
from tests.support.staff import make_staff

BEFORE = [("handoff", "0013_review_queue_mark")]
AFTER = [("handoff", "0014_encrypt_clinical_text")]


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _old_rows(apps: Any) -> dict[str, Any]:
    """What a console at migration 0013 held: plain clinical text, and typed text in events."""
    now = timezone.now()
    Platform = apps.get_model("handoff", "Platform")
    Handoff = apps.get_model("handoff", "Handoff")
    model = {name: apps.get_model("handoff", name) for name in (
        "Consent", "RiskAssessment", "MobileCrisisDispatch", "MobileCrisisStatusUpdate",
        "EmergencyCall", "EmergencyCenter", "Amendment", "HandoffSummary", "HandoffEvent",
        "Callback", "TranscriptMessage",
    )}  # fmt: skip
    casey = make_staff("casey")  # accounts are not migrated back: today's model
    platform = Platform.objects.create(slug="old", name="Old", outbound_secret="whsec_x")
    case = Handoff.objects.create(
        platform=platform,
        external_id="conv_1",
        status="closed",
        tier="high",
        platform_level="high",
        risk_categories=["selfharm"],
        flagged_at=now,
        claimed_by_id=casey.pk,
        closed_at=now,
    )
    model["Consent"].objects.create(handoff=case, contact=True, statement="I agree, Sam.")
    model["RiskAssessment"].objects.create(
        handoff=case,
        counselor_id=casey.pk,
        indicators={"confirmed": ["plan"]},
        tier="low",
        override_reason="Joking, her sister said",
    )
    dispatch = model["MobileCrisisDispatch"].objects.create(
        handoff=case,
        team_name="Typed Team",
        requested_by_id=casey.pk,
        requested_at=now,
        reference="REF-9",
        result="Took her to the ER",
    )
    model["MobileCrisisStatusUpdate"].objects.create(
        dispatch=dispatch, status="accepted", at=now, recorded_by_id=casey.pk, note="At her door"
    )
    franklin = model["EmergencyCenter"].objects.create(
        psap_id="1", name="Franklin ECC", state="OH", emergency_line="6145550100"
    )
    call = model["EmergencyCall"].objects.create(
        handoff=case,
        counselor_id=casey.pk,
        center_name="Delaware 911",
        center_number="7405550101",
        dialed_at=now,
        call_taker="Officer Lee",
        incident_number="INC-77",
        relayed="Pills",
        person_consented=True,
        contact_confirmed=False,
        confirmation_note="Not home",
        confirmed_at=now,
    )
    model["Amendment"].objects.create(
        handoff=case, supervisor_id=casey.pk, reason="Wrong sister name", text="Brother"
    )
    summary = model["HandoffSummary"].objects.create(
        handoff=case,
        transcript_version=1,
        status="unavailable",
        engine="rule",
        engine_version="1",
        error="engine failed (ValueError)",
    )
    callback = model["Callback"].objects.create(
        platform=platform,
        handoff=case,
        event="handoff.message",
        payload={"type": "handoff.message", "data": {"id": str(case.pk), "text": "Call me"}},
        expires_at=now + timedelta(days=1),
    )
    model["TranscriptMessage"].objects.create(
        handoff=case, seq=0, role="counselor", text="Call me", at=now, callback=callback
    )
    event = model["HandoffEvent"].objects
    common = {"handoff_id": case.pk, "platform": platform}
    event.create(
        **common,
        actor_id=casey.pk,
        kind="released",
        data={"from_id": casey.pk, "reason": "Off shift, her sister"},
    )
    event.create(
        **common,
        kind="summary_failed",
        data={"transcript_version": 1, "reason": "engine failed (ValueError)"},
    )
    event.create(
        **common,
        actor_id=casey.pk,
        kind="mobile_crisis_requested",
        data={"dispatch": dispatch.pk, "team": "Typed Team"},
    )
    event.create(
        **common,
        actor_id=casey.pk,
        kind="emergency_call_recorded",
        data={
            "call": call.pk,
            "center": "Delaware 911",
            "number": "7405550101",
            "from_directory": False,
            "suggested": {"center": franklin.pk, "name": "Franklin ECC", "number": "6145550100"},
            "overridden": True,
        },
    )
    return {"case": case.pk, "casey": casey.pk, "summary": summary.pk, "franklin": franklin.pk}


@pytest.mark.django_db(transaction=True)
def test_0014_encrypts_old_rows_and_takes_typed_text_out_of_the_log() -> None:
    old = _old_rows(_migrate(BEFORE))
    apps = _migrate(AFTER)
    Handoff = apps.get_model("handoff", "Handoff")

    def raw(name: str, column: str) -> list[Any]:
        model = apps.get_model("handoff", name)
        pks = list(model.objects.values_list("pk", flat=True))
        return [row[0] for row in raw_rows(model, pks, column)]

    expected = {
        ("Consent", "statement"): "I agree, Sam.",
        ("Handoff", "risk_categories"): '["selfharm"]',
        ("RiskAssessment", "override_reason"): "Joking, her sister said",
        ("MobileCrisisDispatch", "team_name"): "Typed Team",
        ("MobileCrisisDispatch", "reference"): "REF-9",
        ("MobileCrisisDispatch", "result"): "Took her to the ER",
        ("MobileCrisisStatusUpdate", "note"): "At her door",
        ("EmergencyCall", "center_name"): "Delaware 911",
        ("EmergencyCall", "center_number"): "7405550101",
        ("EmergencyCall", "call_taker"): "Officer Lee",
        ("EmergencyCall", "incident_number"): "INC-77",
        ("EmergencyCall", "confirmation_note"): "Not home",
        ("Amendment", "reason"): "Wrong sister name",
    }
    for (name, column), plain in expected.items():
        (stored,) = raw(name, column)
        assert stored.startswith("test$"), (name, column)
        assert decrypt_text(stored).replace(" ", "") == plain.replace(" ", ""), (name, column)
    (indicators,) = raw("RiskAssessment", "indicators")
    assert "plan" not in indicators and "plan" in decrypt_text(indicators)

    # The log keeps ids and flags; the release's reason is on its own row, encrypted.
    Event = apps.get_model("handoff", "HandoffEvent")
    data = {e.kind: e.data for e in Event.objects.all()}
    release = apps.get_model("handoff", "Release").objects.get()
    assert data["released"] == {"from_id": old["casey"], "release": release.pk}
    (reason,) = raw("Release", "reason")
    assert decrypt_text(reason) == "Off shift, her sister"
    assert data["summary_failed"] == {"transcript_version": 1, "summary": old["summary"]}
    assert data["mobile_crisis_requested"]["from_directory"] is False
    assert "team" not in data["mobile_crisis_requested"]
    recorded = data["emergency_call_recorded"]
    assert recorded["suggested"] is True and recorded["overridden"] is True
    assert not {"center", "number"} & set(recorded)
    call = apps.get_model("handoff", "EmergencyCall").objects.get()
    assert call.suggested_center_id == old["franklin"]
    everything = repr([(e.kind, e.data) for e in Event.objects.all()])
    for typed in ("sister", "Typed Team", "Delaware", "Franklin", "ValueError", "7405550101"):
        assert typed not in everything, typed
    # The outbox keeps no words; the transcript line that relays them does, encrypted.
    callback = apps.get_model("handoff", "Callback").objects.get()
    assert "text" not in callback.payload["data"]
    assert Handoff.objects.get(pk=old["case"]).purged_at is None

    # And back: the columns hold their plain text again.
    back = _migrate(BEFORE)
    assert back.get_model("handoff", "Consent").objects.get().statement == "I agree, Sam."
    assert back.get_model("handoff", "Amendment").objects.get().reason == "Wrong sister name"
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
