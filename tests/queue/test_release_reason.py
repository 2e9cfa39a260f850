"""A release's optional reason (no page asks for one; a script may send one) is checked like
any form field: NUL, which the event log cannot hold, or more than 200 characters is refused
with a reason, never a 500 (found by tests/test_hostile_sweep.py)."""

import pytest
from django.test import Client

from handoff.models import Handoff, Status
from tests.support.factories import handoff_body, post_signed
from tests.support.staff import make_staff, signed_in

pytestmark = pytest.mark.django_db


def _held(platform_factory) -> tuple[Client, str]:
    p = platform_factory()
    response = post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body())
    case_id = response.json()["id"]
    client = signed_in(make_staff("casey"))
    assert client.post(f"/cases/{case_id}/claim").status_code == 302
    return client, case_id


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        ("going\x00home", "Null characters are not allowed."),
        ("x" * 201, "Ensure this value has at most 200 characters"),
    ],
)
def test_a_reason_that_cannot_be_kept_is_refused(platform_factory, reason: str, said: str) -> None:
    client, case_id = _held(platform_factory)
    response = client.post(f"/cases/{case_id}/release", {"reason": reason})
    assert response.status_code == 400
    assert said in response.content.decode()
    assert Handoff.objects.get(pk=case_id).status == Status.CLAIMED


def test_a_case_is_released_with_or_without_a_reason(platform_factory) -> None:
    client, case_id = _held(platform_factory)
    assert client.post(f"/cases/{case_id}/release", {"reason": "end of shift"}).status_code == 302
    assert Handoff.objects.get(pk=case_id).status == Status.QUEUED
