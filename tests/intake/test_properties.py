"""Random and mutated bodies, correctly signed: never a 5xx, never a partial row."""

import copy
import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff.models import Consent, Handoff, TranscriptMessage
from tests.support.db import db_counts
from tests.support.factories import handoff_body, post_signed

pytestmark = pytest.mark.django_db

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
json_value = st.recursive(
    json_leaf,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)

PATHS = [
    ("external_id",),
    ("flagged_at",),
    ("risk",),
    ("risk", "level"),
    ("risk", "score"),
    ("risk", "categories"),
    ("consent",),
    ("consent", "contact"),
    ("consent", "share_profile"),
    ("consent", "share_location"),
    ("consent", "granted_at"),
    ("contact",),
    ("contact", "phone"),
    ("contact", "emergency_contacts"),
    ("contact", "language"),
    ("location",),
    ("location", "civic"),
    ("location", "geo"),
    ("location", "geo", "lat"),
    ("transcript",),
    ("transcript", 0),
    ("transcript", 0, "text"),
    ("transcript", 0, "role"),
    ("transcript", 0, "at"),
    ("metadata",),
]


def _mutate(body: dict[str, Any], path: tuple, value: Any, delete: bool) -> dict[str, Any]:
    body = copy.deepcopy(body)
    target: Any = body
    for key in path[:-1]:
        if isinstance(target, dict) and key not in target:
            target[key] = {}
        target = target[key]
    if delete and isinstance(target, dict):
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    return body


def _assert_whole_or_nothing(response, before: dict[str, int]) -> None:
    assert response.status_code < 500, response.content
    if response.status_code == 202:
        handoff = Handoff.objects.get(pk=response.json()["id"])
        assert Consent.objects.filter(handoff=handoff).exists()
        assert (
            TranscriptMessage.objects.filter(handoff=handoff).count()
            == handoff.transcript_version
            >= 1
        )
    else:
        assert response["Content-Type"] == "application/problem+json"
        assert db_counts() == before


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=st.sampled_from(PATHS),
    value=json_value,
    delete=st.booleans(),
    extra=st.dictionaries(st.text(max_size=10), json_value, max_size=2),
)
def test_mutated_bodies_never_5xx_never_partial(
    platform_factory, path, value, delete, extra
) -> None:
    p = platform_factory()
    body = _mutate(handoff_body(), path, value, delete)
    body.update(extra)
    before = db_counts()
    response = post_signed(Client(), p.url(), secret=p.inbound_secret, body=body)
    _assert_whole_or_nothing(response, before)


@settings(
    max_examples=75,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=st.one_of(json_value.map(json.dumps), st.text(max_size=200)))
def test_random_bodies_never_5xx(platform_factory, raw: str) -> None:
    p = platform_factory()
    before = db_counts()
    response = post_signed(Client(), p.url(), secret=p.inbound_secret, body=raw.encode())
    _assert_whole_or_nothing(response, before)
