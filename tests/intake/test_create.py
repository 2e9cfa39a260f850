"""POST /api/v1/platforms/{platform}/handoffs: acceptance and every refusal of the contract."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from standardwebhooks import Webhook

from handoff.models import (
    Callback,
    CallbackEvent,
    Consent,
    EventKind,
    Handoff,
    HandoffEvent,
    Status,
    TranscriptMessage,
)
from handoff.realtime.broadcast import QUEUE_GROUP
from tests.support.db import db_counts
from tests.support.factories import handoff_body, post_signed, signed_headers
from tests.support.layer import GroupListener

pytestmark = pytest.mark.django_db


def test_spec_test_vector_verifies() -> None:
    """The Standard Webhooks spec's published vector, through the library we verify with."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    at = datetime.fromtimestamp(1614265330, tz=UTC)
    body = '{"test": 2432232314}'
    signature = Webhook(secret).sign(msg_id, at, body)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    from handoff.signing import verify

    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": "1614265330",
        "webhook-signature": signature,
    }
    # The vector is from 2021: outside the 5 minute tolerance, so it verifies only with the
    # clock at its timestamp.
    assert not verify(body=body.encode(), headers=headers, secrets_=[secret])
    from unittest import mock

    with mock.patch("standardwebhooks.webhooks.datetime") as fake:
        fake.now.return_value = at
        fake.fromtimestamp = datetime.fromtimestamp
        assert verify(body=body.encode(), headers=headers, secrets_=[secret])


def test_signed_handoff_is_stored_logged_and_announced(
    client: Client, platform_factory, django_capture_on_commit_callbacks
) -> None:
    p = platform_factory()
    body = handoff_body()

    with GroupListener(QUEUE_GROUP) as listener:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_signed(client, p.url(), secret=p.inbound_secret, body=body)
        message = listener.next()

    assert response.status_code == 202, response.content
    answer = response.json()
    handoff = Handoff.objects.get(pk=answer["id"])
    assert answer == {
        "id": str(handoff.id),
        "status": "queued",
        "status_url": f"/api/v1/platforms/{p.slug}/handoffs/{handoff.id}",
    }
    assert response["Location"] == answer["status_url"]
    assert handoff.status == Status.QUEUED
    assert handoff.external_id == body["external_id"]
    assert handoff.tier == "high"
    assert handoff.has_phone
    assert handoff.has_location
    assert handoff.contact["phone"] == "+16145550142"
    assert handoff.location["civic"]["street"] == "123 Main St"
    texts = list(handoff.messages.order_by("seq").values_list("role", "text"))
    assert texts == [(m["role"], m["text"]) for m in body["transcript"]]
    consent = Consent.objects.get(handoff=handoff)
    assert consent.share_profile
    assert consent.share_location
    assert list(
        HandoffEvent.objects.filter(handoff_id=handoff.id).values_list("kind", flat=True)
    ) == [EventKind.RECEIVED]
    assert Callback.objects.get(handoff=handoff).event == CallbackEvent.QUEUED

    assert message["type"] == "queue.update"
    assert message["handoff_id"] == str(handoff.id)


def test_second_rotated_secret_and_multiple_signatures_verify(
    client: Client, platform_factory
) -> None:
    from handoff.platforms import platform_rotate_inbound

    p = platform_factory()
    new = platform_rotate_inbound(platform=p.platform, grace=timedelta(hours=1))
    # Old secret still verifies during the grace period...
    assert (
        post_signed(client, p.url(), secret=p.inbound_secret, body=handoff_body()).status_code
        == 202
    )
    # ...and so does the new one.
    assert post_signed(client, p.url(), secret=new, body=handoff_body()).status_code == 202
    # A header with two signatures (one unknown) verifies on the good one.
    raw = json.dumps(handoff_body()).encode()
    headers = signed_headers(secret=new, body=raw)
    headers["webhook-signature"] = "v1,bm90IGEgc2lnbmF0dXJl " + headers["webhook-signature"]
    response = client.generic(
        "POST", p.url(), raw, content_type="application/json", headers=headers
    )
    assert response.status_code == 202


def test_expired_rotated_secret_is_refused(client: Client, platform_factory) -> None:
    from handoff.platforms import platform_rotate_inbound

    p = platform_factory()
    platform_rotate_inbound(platform=p.platform, grace=timedelta(0))
    before = db_counts()
    response = post_signed(client, p.url(), secret=p.inbound_secret, body=handoff_body())
    assert response.status_code == 401
    assert db_counts() == before


# --- refusals: each leaves the database as it was ------------------------------------------


def _assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"]
    return problem


UNAUTHORIZED_DETAIL = "The request's signature could not be verified for this platform."


def test_missing_signature_is_401(client: Client, platform_factory) -> None:
    p = platform_factory()
    before = db_counts()
    response = client.post(p.url(), json.dumps(handoff_body()), content_type="application/json")
    assert _assert_problem(response, 401)["detail"] == UNAUTHORIZED_DETAIL
    assert db_counts() == before


def test_wrong_signature_is_401(client: Client, platform_factory) -> None:
    p = platform_factory()
    other = platform_factory()
    before = db_counts()
    response = post_signed(client, p.url(), secret=other.inbound_secret, body=handoff_body())
    assert _assert_problem(response, 401)["detail"] == UNAUTHORIZED_DETAIL
    assert db_counts() == before


def test_tampered_body_is_401(client: Client, platform_factory) -> None:
    p = platform_factory()
    raw = json.dumps(handoff_body()).encode()
    headers = signed_headers(secret=p.inbound_secret, body=raw)
    before = db_counts()
    response = client.generic(
        "POST",
        p.url(),
        raw.replace(b"high", b"low"),
        content_type="application/json",
        headers=headers,
    )
    _assert_problem(response, 401)
    assert db_counts() == before


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_stale_or_future_timestamp_is_401(client: Client, platform_factory, skew) -> None:
    p = platform_factory()
    before = db_counts()
    at = datetime.now(tz=UTC) + skew
    response = post_signed(client, p.url(), secret=p.inbound_secret, body=handoff_body(), at=at)
    assert _assert_problem(response, 401)["detail"] == UNAUTHORIZED_DETAIL
    assert db_counts() == before


def test_unknown_platform_is_401_with_the_same_answer(client: Client, platform_factory) -> None:
    p = platform_factory()
    before = db_counts()
    response = post_signed(
        client, "/api/v1/platforms/nobody/handoffs", secret=p.inbound_secret, body=handoff_body()
    )
    assert _assert_problem(response, 401)["detail"] == UNAUTHORIZED_DETAIL
    assert db_counts() == before


def test_inactive_platform_is_401(client: Client, platform_factory) -> None:
    p = platform_factory()
    p.platform.active = False
    p.platform.save(update_fields=["active"])
    before = db_counts()
    response = post_signed(client, p.url(), secret=p.inbound_secret, body=handoff_body())
    assert _assert_problem(response, 401)["detail"] == UNAUTHORIZED_DETAIL
    assert db_counts() == before


def test_replayed_webhook_id_returns_first_answer_and_creates_nothing(
    client: Client, platform_factory
) -> None:
    p = platform_factory()
    body = handoff_body()
    first = post_signed(client, p.url(), secret=p.inbound_secret, body=body, msg_id="msg_replay_1")
    assert first.status_code == 202
    before = db_counts()

    again = post_signed(client, p.url(), secret=p.inbound_secret, body=body, msg_id="msg_replay_1")

    assert again.status_code == 202
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    after = db_counts()
    # Only the trace of the redelivery is new: no case, message, consent or callback.
    assert after.pop("HandoffEvent") == before.pop("HandoffEvent") + 1
    assert after == before
    kinds = HandoffEvent.objects.filter(handoff_id=first.json()["id"]).values_list(
        "kind", flat=True
    )
    assert list(kinds) == [EventKind.RECEIVED, EventKind.DUPLICATE_DELIVERY]


def test_open_external_id_is_409_naming_the_case(client: Client, platform_factory) -> None:
    p = platform_factory()
    body = handoff_body()
    first = post_signed(client, p.url(), secret=p.inbound_secret, body=body)
    before = db_counts()

    second = post_signed(client, p.url(), secret=p.inbound_secret, body=body)

    problem = _assert_problem(second, 409)
    assert problem["handoff_id"] == first.json()["id"]
    assert first.json()["id"] in problem["detail"]
    assert db_counts() == before


def test_external_id_may_return_after_the_case_is_withdrawn(
    client: Client, platform_factory
) -> None:
    p = platform_factory()
    body = handoff_body()
    first = post_signed(client, p.url(), secret=p.inbound_secret, body=body).json()
    withdrawn = post_signed(
        client,
        p.url(f"/{first['id']}/withdraw"),
        secret=p.inbound_secret,
        body={"reason": "user_left"},
    )
    assert withdrawn.json()["status"] == "withdrawn"
    again = post_signed(client, p.url(), secret=p.inbound_secret, body=body)
    assert again.status_code == 202
    assert again.json()["id"] != first["id"]


def test_not_json_is_400(client: Client, platform_factory) -> None:
    p = platform_factory()
    before = db_counts()
    response = post_signed(client, p.url(), secret=p.inbound_secret, body=b"{not json")
    _assert_problem(response, 400)
    assert db_counts() == before


@pytest.mark.parametrize("raw", [b'{"a": NaN}', b"\xff\xfe", b'"\\ud800"', b"[" * 100_000])
def test_odd_bytes_are_400_not_500(client: Client, platform_factory, raw: bytes) -> None:
    p = platform_factory()
    before = db_counts()
    from handoff.signing import sign_headers

    # The library's sign() wants text; sign these raw bytes through our own header builder
    # only where they are not UTF-8.
    try:
        headers = signed_headers(secret=p.inbound_secret, body=raw)
    except UnicodeDecodeError:
        headers = {}
    if headers:
        response = client.generic(
            "POST", p.url(), raw, content_type="application/json", headers=headers
        )
        assert response.status_code == 400
    else:
        with pytest.raises(UnicodeDecodeError):
            sign_headers(secret=p.inbound_secret, msg_id="m", body=raw)
        response = client.generic(
            "POST",
            p.url(),
            raw,
            content_type="application/json",
            headers={"webhook-id": "m", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA"},
        )
        assert response.status_code == 401
    assert db_counts() == before


def test_wrong_content_type_is_415(client: Client, platform_factory) -> None:
    p = platform_factory()
    before = db_counts()
    response = post_signed(
        client, p.url(), secret=p.inbound_secret, body=handoff_body(), content_type="text/plain"
    )
    _assert_problem(response, 415)
    assert db_counts() == before


def test_too_large_is_413_before_parsing(client: Client, platform_factory, settings) -> None:
    p = platform_factory()
    settings.INTAKE_MAX_BODY_BYTES = 2048
    body = handoff_body()
    body["transcript"][0]["text"] = "x" * 4000
    before = db_counts()
    response = post_signed(client, p.url(), secret=p.inbound_secret, body=body)
    _assert_problem(response, 413)
    # Not even a valid signature is needed to learn the size limit; nothing was parsed.
    response = client.generic("POST", p.url(), b"x" * 4096, content_type="application/json")
    _assert_problem(response, 413)
    assert db_counts() == before


def test_schema_errors_list_every_field_path(client: Client, platform_factory) -> None:
    p = platform_factory()
    body = handoff_body()
    body["risk"]["level"] = "extreme"
    body["transcript"][1]["role"] = "system"
    body["contact"]["phone"] = "614-555-0142"
    del body["flagged_at"]
    body["surprise"] = True
    before = db_counts()

    problem = _assert_problem(post_signed(client, p.url(), secret=p.inbound_secret, body=body), 422)

    paths = {e["path"] for e in problem["errors"]}
    assert paths == {"risk.level", "transcript.1.role", "contact.phone", "flagged_at", "surprise"}
    assert all(e["message"] for e in problem["errors"])
    # The refused phone number is personal data: never echoed back.
    assert "614-555-0142" not in json.dumps(problem)
    assert db_counts() == before


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda b: b["consent"].update(contact=False), "consent.contact"),
        (lambda b: b.update(transcript=[]), "transcript"),
        (lambda b: b.update(external_id=""), "external_id"),
        (lambda b: b.update(external_id="x" * 129), "external_id"),
        (lambda b: b["transcript"][0].update(text="y" * 20_001), "transcript.0.text"),
        (lambda b: b.update(flagged_at="2026-11-27T02:04:11"), "flagged_at"),
        (lambda b: b["risk"].update(score=1.5), "risk.score"),
    ],
)
def test_contract_limits_are_422(client: Client, platform_factory, mutate, path) -> None:
    p = platform_factory()
    body = handoff_body()
    mutate(body)
    before = db_counts()
    problem = _assert_problem(post_signed(client, p.url(), secret=p.inbound_secret, body=body), 422)
    assert path in {e["path"] for e in problem["errors"]}
    assert db_counts() == before


def test_contact_without_share_profile_consent_is_refused(client: Client, platform_factory) -> None:
    p = platform_factory()
    body = handoff_body()
    body["consent"]["share_profile"] = False
    before = db_counts()
    problem = _assert_problem(post_signed(client, p.url(), secret=p.inbound_secret, body=body), 422)
    assert any("share_profile" in e["message"] for e in problem["errors"])
    assert db_counts() == before


def test_location_without_share_location_consent_is_refused(
    client: Client, platform_factory
) -> None:
    p = platform_factory()
    body = handoff_body()
    body["consent"]["share_location"] = False
    before = db_counts()
    problem = _assert_problem(post_signed(client, p.url(), secret=p.inbound_secret, body=body), 422)
    assert any("share_location" in e["message"] for e in problem["errors"])
    assert db_counts() == before


def test_minimal_body_without_contact_or_location(client: Client, platform_factory) -> None:
    p = platform_factory()
    body = handoff_body()
    del body["contact"], body["location"], body["metadata"]
    body["consent"] = {"contact": True}
    response = post_signed(client, p.url(), secret=p.inbound_secret, body=body)
    assert response.status_code == 202
    handoff = Handoff.objects.get(pk=response.json()["id"])
    assert handoff.contact is None
    assert handoff.location is None
    assert not handoff.has_phone
    assert not handoff.has_location


def test_over_rate_limit_is_429_with_retry_after(client: Client, platform_factory) -> None:
    p = platform_factory(rate_limit=2)
    for _ in range(2):
        assert (
            post_signed(client, p.url(), secret=p.inbound_secret, body=handoff_body()).status_code
            == 202
        )
    before = db_counts()
    response = post_signed(client, p.url(), secret=p.inbound_secret, body=handoff_body())
    _assert_problem(response, 429)
    assert int(response["Retry-After"]) >= 1
    assert db_counts() == before
    # Another platform's budget is its own.
    other = platform_factory(rate_limit=2)
    assert (
        post_signed(
            client, other.url(), secret=other.inbound_secret, body=handoff_body()
        ).status_code
        == 202
    )


def test_transcript_of_2000_messages_is_stored_in_order(client: Client, platform_factory) -> None:
    p = platform_factory()
    body = handoff_body()
    at = body["transcript"][0]["at"]
    body["transcript"] = [
        {"role": "user" if i % 2 == 0 else "assistant", "text": f"message {i}", "at": at}
        for i in range(2000)
    ]
    response = post_signed(client, p.url(), secret=p.inbound_secret, body=body)
    assert response.status_code == 202
    texts = list(
        TranscriptMessage.objects.filter(handoff_id=response.json()["id"]).values_list(
            "text", flat=True
        )
    )
    assert texts == [f"message {i}" for i in range(2000)]
