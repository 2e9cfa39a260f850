"""Values that would be stored as something other than what was sent, or read as something
other than what was meant: non-finite numbers and control characters in metadata, invisible and
direction-control characters in single-line fields, a webhook-timestamp that is not plain
seconds."""

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from standardwebhooks import Webhook

from handoff.models import Consent, Handoff, TranscriptMessage
from tests.support.db import db_counts
from tests.support.factories import handoff_body, post_signed

pytestmark = pytest.mark.django_db


def _post(p, body: dict[str, Any] | str) -> Any:
    return post_signed(Client(), p.url(), secret=p.inbound_secret, body=body)


def _assert_422(response, path: str, before: dict[str, int]) -> None:
    assert response.status_code == 422, response.content
    assert path in [e["path"] for e in response.json()["errors"]]
    assert db_counts() == before


# --- metadata ------------------------------------------------------------------------------

# Raw JSON: 1e999 is valid JSON that every parser here reads as infinity.
NON_FINITE = [
    '{"score": 1e999}',
    '{"score": -1e999}',
    '{"nested": {"deeper": [1, 2, 1e400]}}',
]
CONTROL = [
    {"note": "a\u0000b"},
    {"a\u0000": "b"},
    {"note": "bell\u0007"},
    {"list": ["ok", {"k": "esc\u001b[31m"}]},
    {"key\u001f": 1},
    {"del": "\u007f"},
]


@pytest.mark.parametrize("metadata", NON_FINITE)
def test_metadata_with_a_non_finite_number_is_422(platform_factory, metadata: str) -> None:
    p = platform_factory()
    before = db_counts()
    body = json.dumps(handoff_body(metadata={})).replace(
        '"metadata": {}', f'"metadata": {metadata}'
    )
    _assert_422(_post(p, body), "metadata", before)


@pytest.mark.parametrize("metadata", CONTROL)
def test_metadata_with_control_characters_in_keys_or_values_is_422(
    platform_factory, metadata: dict[str, Any]
) -> None:
    p = platform_factory()
    before = db_counts()
    _assert_422(_post(p, handoff_body(metadata=metadata)), "metadata", before)


def test_metadata_literal_infinity_is_not_json(platform_factory) -> None:
    p = platform_factory()
    body = json.dumps(handoff_body(metadata={})).replace(
        '"metadata": {}', '"metadata": {"x": Infinity}'
    )
    assert _post(p, body).status_code == 400


def test_ordinary_metadata_is_stored_as_sent(platform_factory) -> None:
    p = platform_factory()
    metadata = {"session": "s-1", "turns": 12, "ratio": 0.25, "big": 2**70, "tags": ["a", "b"]}
    metadata |= {"text": "ünïcödé, emoji 🙂, RTL עברית"}
    response = _post(p, handoff_body(metadata=metadata))
    assert response.status_code == 202, response.content
    assert Handoff.objects.get(pk=response.json()["id"]).metadata == metadata


# --- webhook-timestamp ---------------------------------------------------------------------

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")  # float() reads these digits too


@pytest.mark.parametrize(
    "header",
    ["{t}.5", "{t}.0", "+{t}", " {t}", "{t} ", "{t}e0", "{t}\n", "{t}.999", "{arabic}"],
)
def test_a_webhook_timestamp_that_is_not_plain_seconds_is_401(platform_factory, header) -> None:
    """Each header is signed as the library would sign it (its integer part), so only the form of
    the header is wrong."""
    p = platform_factory()
    now = int(datetime.now(tz=UTC).timestamp())
    raw = json.dumps(handoff_body()).encode()
    msg_id = "msg_timestamp_form"
    signature = Webhook(p.inbound_secret).sign(
        msg_id, datetime.fromtimestamp(now, UTC), raw.decode()
    )
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": header.format(t=now, arabic=str(now).translate(ARABIC_INDIC)),
        "webhook-signature": signature,
    }
    before = db_counts()
    response = Client().generic(
        "POST", p.url(), raw, content_type="application/json", headers=headers
    )
    assert response.status_code == 401, header
    assert response.json()["type"] == "/api/v1/problems/unauthorized"
    assert db_counts() == before
    # The same request with plain seconds is accepted: the signature was right all along.
    headers["webhook-timestamp"] = str(now)
    ok = Client().generic("POST", p.url(), raw, content_type="application/json", headers=headers)
    assert ok.status_code == 202


# --- single-line fields --------------------------------------------------------------------

INVISIBLE = [
    "\u200b",  # zero width space
    "\u200c",  # zero width non-joiner
    "\u200d",  # zero width joiner
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u202a",  # left-to-right embedding
    "\u202b",
    "\u202c",  # pop directional formatting
    "\u202d",
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u2067",
    "\u2068",
    "\u2069",  # pop directional isolate
    "\u061c",  # Arabic letter mark
    "\ufeff",  # byte order mark
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
    "\u2060",  # word joiner
    "\u00ad",  # soft hyphen
    "\u0085",  # next line (C1)
    "\U000e0041",  # tag latin capital A
]

SINGLE_LINE = [
    (("contact", "name"), "contact.name"),
    (("contact", "emergency_contacts"), "contact.emergency_contacts.0.name"),
    (("contact", "emergency_contacts"), "contact.emergency_contacts.0.relationship"),
    (("location", "civic", "street"), "location.civic.street"),
    (("location", "civic", "unit"), "location.civic.unit"),
    (("location", "civic", "city"), "location.civic.city"),
    (("location", "civic", "county"), "location.civic.county"),
    (("location", "civic", "state"), "location.civic.state"),
    (("location", "civic", "postal_code"), "location.civic.postal_code"),
    (("external_id",), "external_id"),
    (("risk", "model"), "risk.model"),
    (("risk", "categories"), "risk.categories.0"),
]


def _with_char(path: tuple, error_path: str, char: str) -> dict[str, Any]:
    body = copy.deepcopy(handoff_body())
    if path == ("contact", "emergency_contacts"):
        person = {"name": "Alex", "relationship": "sister", "phone": "+16145550143"}
        field = error_path.rsplit(".", 1)[1]
        person[field] = f"{person[field]}{char}x"
        body["contact"]["emergency_contacts"] = [person]
        return body
    if path == ("risk", "categories"):
        body["risk"]["categories"] = [f"suicide{char}"]
        return body
    target: Any = body
    for key in path[:-1]:
        target = target[key]
    # Placed the way an attacker would: a postal code 43215 that reads 51234.
    target[path[-1]] = f"{char}{str(target[path[-1]])[:8]}{char}"
    return body


# Every character in two fields, and two of them in every field: not the whole product.
CASES = [
    *[(SINGLE_LINE[i], char) for i in (0, 8) for char in INVISIBLE],
    *[(field, char) for field in SINGLE_LINE for char in ("\u202e", "\u200b")],
]


@pytest.mark.parametrize(("field", "char"), CASES, ids=[f"{f[1]}-U+{ord(c):04X}" for f, c in CASES])
def test_invisible_or_direction_characters_in_a_single_line_field_are_422(
    platform_factory, field, char
) -> None:
    path, error_path = field
    p = platform_factory()
    before = db_counts()
    response = _post(p, _with_char(path, error_path, char))
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert [e["path"] for e in errors] == [error_path]
    assert char not in response.content.decode()  # never echoed
    assert db_counts() == before


def test_transcript_and_consent_statement_keep_them_verbatim(platform_factory) -> None:
    p = platform_factory()
    text = "call me now \u202e416-555-2410\u202c, \u200bI am \u2067here\u2069\ufeff"
    statement = "I agree\u200f to talk \u202bto a counselor\u202c"
    body = handoff_body()
    body["transcript"][0]["text"] = text
    body["consent"]["statement"] = statement
    body["contact"]["name"] = "Zoë O'Brien-Łukasz 山田"  # ordinary letters and punctuation
    response = _post(p, body)
    assert response.status_code == 202, response.content
    handoff = Handoff.objects.get(pk=response.json()["id"])
    assert TranscriptMessage.objects.get(handoff=handoff, seq=0).text == text
    assert Consent.objects.get(handoff=handoff).statement == statement
    assert handoff.contact["name"] == "Zoë O'Brien-Łukasz 山田"


def test_the_rule_is_documented_in_the_openapi_schema(client: Client) -> None:
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    postal = schemas["Civic"]["properties"]["postal_code"]["anyOf"][0]
    assert "direction-control" in postal["description"]
    assert (
        "direction-control" in schemas["Contact"]["properties"]["name"]["anyOf"][0]["description"]
    )
