"""A case does not close while a mobile crisis team is on its way or an emergency call awaits
confirmation: nobody looks at a closed case again, so what it set going would be forgotten."""

from datetime import timedelta

import pytest
from django.utils import timezone

from handoff.models import (
    Callback,
    CallbackEvent,
    Disposition,
    EmergencyCall,
    FollowUp,
    MobileCrisisDispatch,
    Status,
)

pytestmark = pytest.mark.django_db


def _local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def _request_team(world, directory) -> MobileCrisisDispatch:
    response = world.client.post(
        f"{world.url}mobile-crisis",
        {"team": directory["team"].pk, "requested_at": _local(timezone.now())},
    )
    assert response.status_code == 302
    return MobileCrisisDispatch.objects.get(handoff_id=world.case_id)


def _close_section(html: str) -> str:
    return html[html.index('id="close"') :]


def test_closing_is_refused_while_a_team_is_requested_and_nothing_changes(world, directory) -> None:
    dispatch = _request_team(world, directory)
    version = world.handoff().version

    refused = world.client.post(
        f"{world.url}close",
        {
            "outcome": "deescalated",
            "what_helped": "Talking it through",
            "follow_up_at": _local(timezone.now() + timedelta(days=1)),
        },
    )
    assert refused.status_code == 400
    close_form = _close_section(refused.content.decode())
    # Beside the outcome field, naming the team and what to do.
    assert "The mobile crisis team (Columbus Mobile Crisis) is still requested" in close_form
    assert "Record its status first" in close_form
    handoff = world.handoff()
    assert handoff.status == Status.CLAIMED and handoff.version == version
    assert not Disposition.objects.exists() and not FollowUp.objects.exists()
    assert not Callback.objects.filter(event=CallbackEvent.CLOSED).exists()
    dispatch.refresh_from_db()
    assert dispatch.status == "requested"

    # Another outcome is refused at every stage until the team's result is recorded...
    world.client.post(
        f"{world.url}mobile-crisis/{dispatch.pk}",
        {"status": "en_route", "at": _local(timezone.now())},
    )
    refused = world.client.post(f"{world.url}close", {"outcome": "referred", "referred_to": "x"})
    assert "is still en route" in _close_section(refused.content.decode())
    assert world.handoff().status == Status.CLAIMED

    # ...which closes the case with the team's outcome.
    world.client.post(
        f"{world.url}mobile-crisis/{dispatch.pk}",
        {"status": "cancelled", "at": _local(timezone.now()), "result": "Calmer; team stood down"},
    )
    handoff = world.handoff()
    assert handoff.status == Status.CLOSED and handoff.outcome == "mobile_crisis"
    assert handoff.disposition.details["team_status"] == "cancelled"


def test_a_team_and_an_emergency_call_both_resolve_before_the_case_closes(world, directory) -> None:
    dispatch = _request_team(world, directory)
    world.client.post(
        f"{world.url}emergency",
        {
            "center": directory["franklin"].pk,
            "dialed_at": _local(timezone.now()),
            "relayed": "Pills taken, team not there yet",
            "person_consented": "yes",
        },
    )
    call = EmergencyCall.objects.get(handoff_id=world.case_id)
    assert world.handoff().status == Status.AWAITING_CONFIRMATION
    confirm = f"{world.url}emergency/{call.pk}/confirm"
    # Not offered on the page, and refused if posted anyway.
    world.client.post(f"{world.url}close", {"outcome": "not_at_risk", "reason": "joking"})
    assert world.handoff().status == Status.AWAITING_CONFIRMATION

    refused = world.client.post(confirm, {"contact_confirmed": "yes", "note": "EMS with her"})
    assert refused.status_code == 400
    assert "is still requested" in refused.content.decode()
    call.refresh_from_db()
    assert call.contact_confirmed is None
    assert world.handoff().status == Status.AWAITING_CONFIRMATION

    # The team's result is kept, and the case waits for the call's confirmation...
    done = world.client.post(
        f"{world.url}mobile-crisis/{dispatch.pk}",
        {"status": "cancelled", "at": _local(timezone.now()), "result": "EMS took over"},
    )
    assert done.status_code == 302
    dispatch.refresh_from_db()
    assert dispatch.status == "cancelled"
    assert world.handoff().status == Status.AWAITING_CONFIRMATION
    assert "awaiting-confirmation" in world.client.get(world.url).content.decode()

    # ...which closes it.
    assert world.client.post(confirm, {"contact_confirmed": "yes"}).status_code == 302
    handoff = world.handoff()
    assert handoff.status == Status.CLOSED and handoff.outcome == "emergency_call"
