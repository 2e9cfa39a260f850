"""Every date a platform sends is bounded to what the console can store and read back, and to
what makes sense: from 2000-01-01 UTC to a few minutes ahead of the console's clock. Anything
else is a 422 naming the field, and nothing is stored."""

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from handoff.intake import schema
from handoff.models import Consent, Handoff, TranscriptMessage
from tests.support.db import db_counts
from tests.support.factories import handoff_body, post_signed

pytestmark = pytest.mark.django_db


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _soon(minutes: float) -> str:
    return _iso(datetime.now(tz=UTC) + timedelta(minutes=minutes))


REFUSED = [
    "9999-12-31T23:59:59-01:00",  # past the year 9999 in UTC: PostgreSQL keeps it, Python cannot
    "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00+01:00",  # before the year 1 in UTC
    "0001-01-01T00:00:00Z",
    "1999-12-31T23:59:59Z",
    "1999-12-31T23:59:59.999999Z",
    "2000-01-01T00:59:59+01:00",  # 1999-12-31T23:59:59Z
    "3000-01-01T00:00:00Z",
]

# (path of the date in the body, path of the error)
FIELDS = [
    (("flagged_at",), "flagged_at"),
    (("consent", "granted_at"), "consent.granted_at"),
    (("location", "geo", "captured_at"), "location.geo.captured_at"),
    (("transcript", 0, "at"), "transcript.0.at"),
    (("transcript", 2, "at"), "transcript.2.at"),
]


def _with(body: dict[str, Any], path: tuple, value: str) -> dict[str, Any]:
    body = copy.deepcopy(body)
    if path[0] == "location":
        body["location"]["geo"] = {"lat": 39.96, "lon": -83.0}
    target: Any = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


def _post(p, body: dict[str, Any]) -> Any:
    return post_signed(Client(), p.url(), secret=p.inbound_secret, body=body)


def _assert_refused(response, path: str, before: dict[str, int]) -> None:
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert [e["path"] for e in errors] == [path]
    assert errors[0]["type"] == "date_out_of_range"
    assert "2000-01-01" in errors[0]["message"]
    assert db_counts() == before


@pytest.mark.parametrize("value", REFUSED)
@pytest.mark.parametrize(("path", "error_path"), FIELDS)
def test_a_date_out_of_bounds_is_422_naming_the_field(
    platform_factory, path, error_path, value
) -> None:
    p = platform_factory()
    before = db_counts()
    _assert_refused(_post(p, _with(handoff_body(), path, value)), error_path, before)


@pytest.mark.parametrize(("path", "error_path"), FIELDS)
def test_a_date_far_ahead_of_the_clock_is_refused_a_few_minutes_ahead_is_not(
    platform_factory, path, error_path
) -> None:
    p = platform_factory()
    before = db_counts()
    ahead = schema.FUTURE_SKEW.total_seconds() / 60
    _assert_refused(_post(p, _with(handoff_body(), path, _soon(ahead + 1))), error_path, before)
    accepted = _post(p, _with(handoff_body(), path, _soon(ahead - 1)))
    assert accepted.status_code == 202, accepted.content


def test_the_earliest_date_is_accepted_and_read_back_exactly(platform_factory) -> None:
    p = platform_factory()
    body = handoff_body(flagged_at="2000-01-01T01:00:00+01:00")
    body["consent"]["granted_at"] = "2000-01-01T00:00:00Z"
    body["transcript"][0]["at"] = "1999-12-31T19:00:00-05:00"
    response = _post(p, body)
    assert response.status_code == 202, response.content
    handoff = Handoff.objects.get(pk=response.json()["id"])
    earliest = datetime(2000, 1, 1, tzinfo=UTC)
    assert handoff.flagged_at == earliest
    assert Consent.objects.get(handoff=handoff).granted_at == earliest
    assert TranscriptMessage.objects.get(handoff=handoff, seq=0).at == earliest


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_new_message_out_of_bounds_is_422_and_nothing_is_added(platform_factory, value) -> None:
    p = platform_factory()
    case_id = _post(p, handoff_body()).json()["id"]
    before = db_counts()
    messages = [
        {"role": "user", "text": "still here", "at": _soon(-1)},
        {"role": "user", "text": "hello?", "at": value},
    ]
    response = post_signed(
        Client(),
        p.url(f"/{case_id}/messages"),
        secret=p.inbound_secret,
        body={"messages": messages},
    )
    _assert_refused(response, "messages.1.at", before)


def test_the_bounds_are_documented_in_the_openapi_description(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert schema.DATE_RULE in document["info"]["description"]
    message = document["components"]["schemas"]["Message"]["properties"]["at"]
    assert message["description"] == schema.DATE_RULE
    assert "2000-01-01" in schema.DATE_RULE and "10 minutes" in schema.DATE_RULE
