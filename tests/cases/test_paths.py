"""The three paths and the other outcomes, end to end through the real views."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from handoff.callbacks.sender import callback_body
from handoff.models import (
    Callback,
    CallbackEvent,
    EmergencyCall,
    EventKind,
    FollowUp,
    HandoffEvent,
    MobileCrisisDispatch,
    Status,
)
from tests.support.factories import get_signed
from tests.support.staff import signed_in

pytestmark = pytest.mark.django_db


def _local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def _kinds(world) -> list[str]:
    return list(
        HandoffEvent.objects.filter(handoff_id=world.case_id).values_list("kind", flat=True)
    )


def test_case_page_shows_summary_evidence_transcript_and_consented_contact(world) -> None:
    page = world.client.get(world.url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "machine-made" in body and 'data-testid="summary-headline"' in body
    assert 'href="#msg-2"' in body and 'id="msg-2"' in body  # evidence links to its message
    assert "tel:+16145550142" in body and "123 Main St" in body
    assert HandoffEvent.objects.filter(
        handoff_id=world.case_id, kind=EventKind.VIEWED_PERSONAL, actor=world.counselor
    ).exists()


def test_deescalated_needs_what_helped_then_closes_with_plan_and_follow_up(world) -> None:
    refused = world.client.post(f"{world.url}close", {"outcome": "deescalated"})
    assert refused.status_code == 400
    assert "Say what helped." in refused.content.decode()
    past = world.client.post(
        f"{world.url}close",
        {
            "outcome": "deescalated",
            "what_helped": "talking",
            "follow_up_at": _local(timezone.now() - timedelta(hours=1)),
        },
    )
    assert "A follow-up must be in the future." in past.content.decode()
    assert world.handoff().status == Status.CLAIMED

    due = timezone.now() + timedelta(days=1)
    done = world.client.post(
        f"{world.url}close",
        {
            "outcome": "deescalated",
            "what_helped": "Talking it through; her sister is coming over",
            "follow_up_at": _local(due),
            "plan_warning_signs": "Not sleeping",
            "plan_reasons_for_living": "My cat",
        },
    )
    assert done.status_code == 302
    handoff = world.handoff()
    assert handoff.status == Status.CLOSED and handoff.outcome == "deescalated"
    assert handoff.disposition.safety_plan == {
        "warning_signs": "Not sleeping",
        "reasons_for_living": "My cat",
    }
    assert FollowUp.objects.get(handoff=handoff).counselor == world.counselor
    closed = Callback.objects.get(handoff=handoff, event=CallbackEvent.CLOSED)
    assert closed.payload["data"]["status"] == "closed"
    assert "deescalated" not in str(closed.payload) and "sister" not in str(closed.payload)
    # After closing the record does not change...
    late = world.client.post(f"{world.url}notes", {"text": "one more thing"})
    assert late.status_code == 403
    assert not handoff.notes.exists()
    # ...a supervisor appends an amendment, with a reason.
    sup = signed_in(world.supervisor)
    assert sup.post(f"{world.url}amend", {"reason": "", "text": "x"}).status_code == 400
    assert (
        sup.post(
            f"{world.url}amend", {"reason": "Wrong sister name", "text": "It was her brother"}
        ).status_code
        == 302
    )
    assert handoff.amendments.get().reason == "Wrong sister name"
    assert world.client.post(f"{world.url}amend", {"reason": "r", "text": "t"}).status_code == 403


def test_mobile_crisis_team_is_tracked_to_its_result(world, directory) -> None:
    page = world.client.get(world.url).content.decode()
    assert "Columbus Mobile Crisis" in page  # covers Franklin County
    now = timezone.now()
    refused = world.client.post(f"{world.url}mobile-crisis", {"requested_at": _local(now)})
    assert "Choose a team" in refused.content.decode()
    world.client.post(
        f"{world.url}mobile-crisis",
        {"team": directory["team"].pk, "requested_at": _local(now), "reference": "MC-77"},
    )
    dispatch = MobileCrisisDispatch.objects.get(handoff_id=world.case_id)
    assert dispatch.team_name == "Columbus Mobile Crisis" and dispatch.reference == "MC-77"
    url = f"{world.url}mobile-crisis/{dispatch.pk}"
    for status in ("accepted", "en_route", "on_scene"):
        assert (
            world.client.post(url, {"status": status, "at": _local(timezone.now())}).status_code
            == 302
        )
    no_result = world.client.post(url, {"status": "completed", "at": _local(timezone.now())})
    assert "Record the team&#x27;s result" in no_result.content.decode()
    assert world.handoff().status == Status.CLAIMED
    world.client.post(
        url,
        {
            "status": "completed",
            "at": _local(timezone.now()),
            "result": "Assessed at home; safe with family",
        },
    )
    handoff = world.handoff()
    assert handoff.status == Status.CLOSED and handoff.outcome == "mobile_crisis"
    assert [u.status for u in dispatch.updates.all()] == [
        "requested",
        "accepted",
        "en_route",
        "on_scene",
        "completed",
    ]
    # Closing by hand as mobile crisis is not offered: the team's result closes it.
    assert EventKind.MOBILE_CRISIS_UPDATE in _kinds(world)


def test_emergency_call_is_recorded_and_awaits_confirmation(world, directory) -> None:
    screen = world.client.get(f"{world.url}emergency").content.decode()
    assert "Franklin County Emergency Communications" in screen
    assert "614-555-0100" in screen
    script = screen[screen.index('data-testid="script"') :]
    # Location first, then the callback number.
    assert (
        script.index("Location:")
        < script.index("Callback number:")
        < script.index("What is happening:")
    )
    assert "123 Main St" in script and "(614) 555-0142" in script

    missing = world.client.post(f"{world.url}emergency", {"center": directory["franklin"].pk})
    body = missing.content.decode()
    assert missing.status_code == 400
    for message in ("This field is required.",):
        assert message in body
    no_reason = world.client.post(
        f"{world.url}emergency",
        {
            "center": directory["franklin"].pk,
            "dialed_at": _local(timezone.now()),
            "relayed": "Overdose in progress",
            "person_consented": "no",
        },
    )
    assert "Say why you called without the person" in no_reason.content.decode()
    assert not EmergencyCall.objects.exists()

    done = world.client.post(
        f"{world.url}emergency",
        {
            "center": directory["franklin"].pk,
            "dialed_at": _local(timezone.now()),
            "answered_at": _local(timezone.now()),
            "call_taker": "Dispatcher 12",
            "incident_number": "F-2026-1127-001",
            "relayed": "Address, callback number, 30 pills taken",
            "person_consented": "no",
            "no_consent_reason": "attempt_in_progress",
            "supervisor_consulted": world.supervisor.pk,
        },
    )
    assert done.status_code == 302
    handoff = world.handoff()
    assert handoff.status == Status.AWAITING_CONFIRMATION
    call = EmergencyCall.objects.get(handoff=handoff)
    assert call.center == directory["franklin"] and call.supervisor_consulted == world.supervisor
    # The platform is never told an emergency call happened.
    status = get_signed(
        Client(), world.platform.url(f"/{world.case_id}"), secret=world.platform.inbound_secret
    )
    assert status.json()["status"] == "in_contact"
    # It cannot be closed any other way while awaiting confirmation.
    assert "awaiting-confirmation" in world.client.get(world.url).content.decode()
    confirm = f"{world.url}emergency/{call.pk}/confirm"
    assert "Did emergency services reach" in world.client.post(confirm, {}).content.decode()
    assert (
        "Say what you know"
        in world.client.post(confirm, {"contact_confirmed": "no"}).content.decode()
    )
    assert (
        world.client.post(
            confirm, {"contact_confirmed": "yes", "note": "Officers with her"}
        ).status_code
        == 302
    )
    handoff = world.handoff()
    assert handoff.status == Status.CLOSED and handoff.outcome == "emergency_call"
    call.refresh_from_db()
    assert call.contact_confirmed is True and call.confirmed_at is not None


def test_emergency_center_falls_back_to_manual_entry(platform_factory, directory) -> None:
    from tests.cases.conftest import CaseWorld

    body = {
        "location": {
            "civic": {"country": "US", "state": "WY", "county": "Teton"},
            "source": "device",
        }
    }
    world = CaseWorld(platform_factory, **body)
    screen = world.client.get(f"{world.url}emergency").content.decode()
    assert 'data-testid="center-manual"' in screen and "Teton" in screen
    missing = world.client.post(
        f"{world.url}emergency",
        {"dialed_at": _local(timezone.now()), "relayed": "x", "person_consented": "yes"},
    )
    assert "Name the emergency center you called" in missing.content.decode()
    ok = world.client.post(
        f"{world.url}emergency",
        {
            "center_name": "Teton County Dispatch",
            "center_number": "3075550123",
            "dialed_at": _local(timezone.now()),
            "relayed": "x",
            "person_consented": "yes",
        },
    )
    assert ok.status_code == 302
    assert EmergencyCall.objects.get().center is None


def test_no_contact_needs_the_attempts_made(world) -> None:
    refused = world.client.post(f"{world.url}close", {"outcome": "no_contact"})
    assert "Record the contact attempts" in refused.content.decode()
    world.client.post(f"{world.url}attempts", {"channel": "phone", "result": "no_answer"})
    world.client.post(f"{world.url}attempts", {"channel": "phone", "result": "voicemail"})
    assert world.client.post(f"{world.url}close", {"outcome": "no_contact"}).status_code == 302
    assert world.handoff().disposition.details["attempts"] == "2"


def test_not_at_risk_and_referred_need_their_fields(world, platform_factory) -> None:
    assert (
        "Say why the person is not at risk."
        in world.client.post(f"{world.url}close", {"outcome": "not_at_risk"}).content.decode()
    )
    assert (
        "Say what the person was referred to."
        in world.client.post(f"{world.url}close", {"outcome": "referred"}).content.decode()
    )
    assert (
        world.client.post(
            f"{world.url}close", {"outcome": "referred", "referred_to": "County outpatient clinic"}
        ).status_code
        == 302
    )
    assert world.handoff().outcome == "referred"


def test_reached_attempt_means_in_contact_and_notes_keep_history(world) -> None:
    world.client.post(f"{world.url}attempts", {"channel": "phone", "result": "reached"})
    assert world.handoff().status == Status.IN_CONTACT
    world.client.post(f"{world.url}notes", {"text": "Lives with roommate"})
    note = world.handoff().notes.get()
    world.client.post(f"{world.url}notes/{note.pk}/edit", {"text": "Lives with two roommates"})
    page = world.client.get(world.url).content.decode()
    assert "Lives with two roommates" in page and "Earlier versions (1)" in page
    assert world.handoff().notes.count() == 2


def test_assessment_tier_override_needs_a_reason_and_is_recorded(world) -> None:
    machine = world.handoff().summary_tier
    other = "low" if machine != "low" else "high"
    refused = world.client.post(f"{world.url}assessment", {"tier": other})
    assert "Say why your tier differs" in refused.content.decode()
    world.client.post(
        f"{world.url}assessment", {"tier": other, "override_reason": "Joking, confirmed by phone"}
    )
    handoff = world.handoff()
    assert handoff.tier == other and handoff.tier_source == "counselor"
    change = HandoffEvent.objects.get(handoff_id=world.case_id, kind=EventKind.TIER_CHANGED)
    assert change.data["to"] == other and change.data["machine"] == machine


def test_relay_sends_a_signed_callback_and_shows_its_status(world) -> None:
    world.client.post(f"{world.url}relay", {"text": "I'm here. Are you safe right now?"})
    callback = Callback.objects.get(handoff_id=world.case_id, event=CallbackEvent.MESSAGE)
    # The outbox keeps no words; the body sent carries them, read from the encrypted line.
    assert "text" not in callback.payload["data"]
    sent = json.loads(callback_body(callback) or b"null")
    assert sent["data"]["text"] == "I'm here. Are you safe right now?"
    page = world.client.get(world.url).content.decode()
    assert "I&#x27;m here. Are you safe right now?" in page
    assert 'data-testid="relay-status">' in page


def test_only_the_owner_or_a_supervisor_acts(world, platform_factory) -> None:
    from tests.support.staff import make_staff

    other = signed_in(make_staff("jordan"))
    assert other.get(world.url).status_code == 403
    assert other.post(f"{world.url}notes", {"text": "x"}).status_code == 403
    sup = signed_in(world.supervisor)
    assert sup.post(f"{world.url}notes", {"text": "Supervisor checked in"}).status_code == 302
