"""Status, messages and withdraw: the rest of the platform contract."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from handoff.models import EventKind, Handoff, HandoffEvent, Status
from tests.support.db import db_counts
from tests.support.factories import get_signed, handoff_body, post_signed

pytestmark = pytest.mark.django_db


def _create(client: Client, p, **overrides) -> str:
    response = post_signed(client, p.url(), secret=p.inbound_secret, body=handoff_body(**overrides))
    assert response.status_code == 202, response.content
    return response.json()["id"]


def _now() -> str:
    return datetime.now(tz=UTC).isoformat()


def test_status_reports_queue_position_by_tier_then_wait(client: Client, platform_factory) -> None:
    p = platform_factory()
    low = _create(client, p, risk={"level": "low"})
    high_first = _create(client, p, risk={"level": "high"})
    high_second = _create(client, p, risk={"level": "high"})
    imminent = _create(client, p, risk={"level": "imminent"})

    positions = {}
    for handoff_id in (low, high_first, high_second, imminent):
        response = get_signed(client, p.url(f"/{handoff_id}"), secret=p.inbound_secret)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"id", "external_id", "status", "queue_position", "updated_at"}
        assert body["status"] == "queued"
        positions[handoff_id] = body["queue_position"]

    assert positions == {imminent: 1, high_first: 2, high_second: 3, low: 4}


def test_status_of_another_platforms_case_is_404(client: Client, platform_factory) -> None:
    p, other = platform_factory(), platform_factory()
    handoff_id = _create(client, p)
    response = get_signed(client, other.url(f"/{handoff_id}"), secret=other.inbound_secret)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert get_signed(client, p.url("/not-a-uuid"), secret=p.inbound_secret).status_code == 404


def test_status_needs_a_signature(client: Client, platform_factory) -> None:
    p = platform_factory()
    handoff_id = _create(client, p)
    assert client.get(p.url(f"/{handoff_id}")).status_code == 401


def test_messages_are_appended_in_order_once(client: Client, platform_factory) -> None:
    p = platform_factory()
    handoff_id = _create(client, p)
    url = p.url(f"/{handoff_id}/messages")
    body = {
        "messages": [
            {"role": "user", "text": "are you still there", "at": _now()},
            {"role": "user", "text": "please hurry", "at": _now()},
        ]
    }

    first = post_signed(client, url, secret=p.inbound_secret, body=body, msg_id="msg_more_1")
    again = post_signed(client, url, secret=p.inbound_secret, body=body, msg_id="msg_more_1")

    assert first.status_code == again.status_code == 202
    assert (
        first.json()
        == again.json()
        == {"id": handoff_id, "status": "queued", "messages_accepted": 2}
    )
    handoff = Handoff.objects.get(pk=handoff_id)
    texts = list(handoff.messages.order_by("seq").values_list("seq", "text"))
    assert texts[-2:] == [(3, "are you still there"), (4, "please hurry")]
    assert len(texts) == 5
    assert handoff.transcript_version == 5
    kinds = list(HandoffEvent.objects.filter(handoff_id=handoff_id).values_list("kind", flat=True))
    assert kinds == [EventKind.RECEIVED, EventKind.MESSAGES_ADDED, EventKind.DUPLICATE_DELIVERY]


def test_messages_must_come_from_the_user(client: Client, platform_factory) -> None:
    p = platform_factory()
    handoff_id = _create(client, p)
    before = db_counts()
    response = post_signed(
        client,
        p.url(f"/{handoff_id}/messages"),
        secret=p.inbound_secret,
        body={"messages": [{"role": "assistant", "text": "hi", "at": _now()}]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "messages.0.role"
    assert db_counts() == before


def test_messages_to_a_withdrawn_case_are_409(client: Client, platform_factory) -> None:
    p = platform_factory()
    handoff_id = _create(client, p)
    post_signed(
        client,
        p.url(f"/{handoff_id}/withdraw"),
        secret=p.inbound_secret,
        body={"reason": "user_left"},
    )
    before = db_counts()
    response = post_signed(
        client,
        p.url(f"/{handoff_id}/messages"),
        secret=p.inbound_secret,
        body={"messages": [{"role": "user", "text": "wait", "at": _now()}]},
    )
    assert response.status_code == 409
    assert response.json()["status_of_case"] == "withdrawn"
    assert db_counts() == before


def test_withdraw_before_claim_takes_the_case_out_of_the_queue(
    client: Client, platform_factory
) -> None:
    p = platform_factory()
    handoff_id = _create(client, p)
    response = post_signed(
        client,
        p.url(f"/{handoff_id}/withdraw"),
        secret=p.inbound_secret,
        body={"reason": "consent_revoked"},
    )
    assert response.status_code == 202
    assert response.json() == {"id": handoff_id, "status": "withdrawn"}
    handoff = Handoff.objects.get(pk=handoff_id)
    assert handoff.status == Status.WITHDRAWN
    assert handoff.withdrawn_reason == "consent_revoked"
    status = get_signed(client, p.url(f"/{handoff_id}"), secret=p.inbound_secret).json()
    assert status["status"] == "withdrawn"
    assert status["queue_position"] is None


def test_withdraw_after_claim_keeps_the_case_with_its_counselor(
    client: Client, platform_factory, django_user_model
) -> None:
    p = platform_factory()
    handoff_id = _create(client, p)
    counselor = django_user_model.objects.create_user("c1", password="pw-12345-long")
    Handoff.objects.filter(pk=handoff_id).update(
        status=Status.CLAIMED, claimed_by=counselor, claimed_at=datetime.now(tz=UTC)
    )
    response = post_signed(
        client,
        p.url(f"/{handoff_id}/withdraw"),
        secret=p.inbound_secret,
        body={"reason": "user_left"},
    )
    assert response.status_code == 202
    assert response.json()["status"] == "claimed"
    handoff = Handoff.objects.get(pk=handoff_id)
    assert handoff.status == Status.CLAIMED
    assert handoff.claimed_by == counselor
    assert handoff.withdrawn_reason == "user_left"
    assert HandoffEvent.objects.filter(
        handoff_id=handoff_id, kind=EventKind.WITHDRAW_AFTER_CLAIM
    ).exists()


def test_withdraw_reason_is_validated(client: Client, platform_factory) -> None:
    p = platform_factory()
    handoff_id = _create(client, p)
    before = db_counts()
    response = post_signed(
        client, p.url(f"/{handoff_id}/withdraw"), secret=p.inbound_secret, body={"reason": "bored"}
    )
    assert response.status_code == 422
    assert db_counts() == before


def test_wrong_method_is_405_problem(client: Client, platform_factory) -> None:
    p = platform_factory()
    response = client.put(p.url())
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_unknown_api_path_is_problem_404(client: Client) -> None:
    response = client.get("/api/v1/nothing/here")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_openapi_describes_every_path_from_the_validating_models(client: Client) -> None:
    from handoff.intake.schema import HandoffCreate

    doc = client.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {
        "/api/v1/platforms/{platform}/handoffs",
        "/api/v1/platforms/{platform}/handoffs/{id}",
        "/api/v1/platforms/{platform}/handoffs/{id}/messages",
        "/api/v1/platforms/{platform}/handoffs/{id}/withdraw",
    }
    create = doc["paths"]["/api/v1/platforms/{platform}/handoffs"]["post"]
    assert {"202", "400", "401", "409", "413", "415", "422", "429", "503"} <= set(
        create["responses"]
    )
    schema = doc["components"]["schemas"]["HandoffCreate"]
    # Generated from the model itself: the same required fields, closed to unknown keys.
    assert set(schema["required"]) == {
        name for name, field in HandoffCreate.model_fields.items() if field.is_required()
    }
    assert schema["additionalProperties"] is False


def test_signed_timestamp_tolerance_is_five_minutes(client: Client, platform_factory) -> None:
    p = platform_factory()
    at = datetime.now(tz=UTC) - timedelta(minutes=4)
    assert (
        post_signed(
            client, p.url(), secret=p.inbound_secret, body=handoff_body(), at=at
        ).status_code
        == 202
    )
