"""Random valid and hostile handoffs, signed and posted to the real URLs: dates at the edges of
what PostgreSQL and Python hold, control, invisible and direction characters in every string
field, huge and odd numbers. Whatever happens, no endpoint answers 5xx, the dashboard and the
case page of whatever was stored render for a counselor, and the periodic jobs run afterwards
never raise."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from django.test import Client, override_settings
from django.utils import timezone as django_timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from handoff.callbacks.tasks import callback_send_task, callbacks_sweep_task
from handoff.dispositions.services import emergency_confirmations_overdue, follow_ups_remind
from handoff.models import EmergencyCall, FollowUp, Handoff
from handoff.queue.services import handoff_claim, queue_age
from handoff.summary.tasks import summaries_sweep, summary_build_task, summary_sweep_task
from tests.support.factories import get_signed, handoff_body, post_signed
from tests.support.staff import make_staff, signed_in

pytestmark = pytest.mark.django_db

# Stand-ins replaced in the JSON text: numbers json.dumps cannot write (1e999 parses as infinity).
HUGE, NEG_HUGE = "__huge__", "__neg_huge__"

HOSTILE_CHARS = (
    "\x00\x01\x07\x08\x0b\x0c\x1b\x1f\x7f\x85\x9f"  # C0, DEL, C1
    "\u00ad\u034f\u061c\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2028\u2029\u2060\u2066\u2067\u2068\u2069"
    "\ufeff\ufff9\ufffc\ufffd\U000e0001\U000e0041\U0001f48a"
    "<>&\"'`\\/{}%"
)
# Free text may carry anything but C0 controls: these are stored verbatim.
FREE_CHARS = HOSTILE_CHARS.translate({c: None for c in [*range(0x20), 0x7F]}) + "\n\t "

hostile_text = st.text(
    alphabet=st.one_of(st.sampled_from(HOSTILE_CHARS), st.characters(codec="utf-8")),
    max_size=40,
)
free_text = st.one_of(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(FREE_CHARS), st.characters(codec="utf-8", exclude_categories=["Cc"])
        ),
        min_size=1,
        max_size=60,
    ),
    st.integers(1, 3000).map(lambda n: "w" * n),  # one long word
)


def _iso(value: datetime) -> str:
    return value.isoformat()


offsets = st.timedeltas(
    min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)
).map(lambda d: timezone(timedelta(minutes=d // timedelta(minutes=1))))
EDGE_DATES = [
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00-23:59",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59+14:00",
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T23:59:59-23:59",
    "2016-12-31T23:59:60Z",
    "2016-12-31T23:59:60.5+00:00",
    "1999-12-31T23:59:59Z",
    "2000-01-01T00:00:00Z",
    "2000-01-01T00:00:00+00:01",
    "3000-01-01T00:00:00Z",
    "275760-09-13T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "2024-01-01T00:00:00",
    "2024-01-01T00:00:00+24:00",
    "2024-01-01",
    "",
    "now",
]
dates = st.one_of(
    st.sampled_from(EDGE_DATES),
    # Around the console's clock, across the allowed skew and beyond it.
    st.integers(-(10**8), 3600).map(lambda s: _iso(datetime.now(tz=UTC) + timedelta(seconds=s))),
    st.builds(
        lambda d, tz: _iso(d.replace(tzinfo=tz)),
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
        offsets,
    ),
)
numbers = st.one_of(
    st.sampled_from(
        [0, 1, -1, 0.5, 1.0000001, 1e308, -1e308, 5e-324, 2**53 + 1, 2**63, 2**70, 10**40]
    ),
    st.sampled_from([HUGE, NEG_HUGE]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(),
)
metadata = st.dictionaries(
    hostile_text,
    st.recursive(
        st.one_of(st.none(), st.booleans(), numbers, hostile_text),
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(hostile_text, children, max_size=3)
        ),
        max_leaves=8,
    ),
    max_size=5,
)

# Fields that get a hostile value in an example (the others keep the valid base value).
FIELDS = [
    "external_id",
    "flagged_at",
    "risk.level",
    "risk.score",
    "risk.model",
    "risk.categories",
    "consent.granted_at",
    "consent.statement",
    "contact.name",
    "contact.language",
    "contact.phone",
    "contact.emergency_contacts",
    "civic.street",
    "civic.unit",
    "civic.city",
    "civic.county",
    "civic.state",
    "civic.postal_code",
    "civic.country",
    "geo",
    "transcript.text",
    "transcript.at",
    "metadata",
]


@st.composite
def handoffs(draw: st.DrawFn) -> str:
    """A handoff body as sent: valid, or with a few hostile fields. Free text always carries
    invisible and direction characters, long words and emoji, which are accepted verbatim."""
    body = handoff_body()
    bad = draw(st.one_of(st.just(set()), st.sets(st.sampled_from(FIELDS), min_size=1, max_size=3)))

    def pick(field: str, hostile: st.SearchStrategy[Any], default: Any) -> Any:
        return draw(hostile) if field in bad else default

    body["external_id"] = pick(
        "external_id", hostile_text.map(lambda t: body["external_id"] + t), body["external_id"]
    )
    body["flagged_at"] = pick("flagged_at", dates, body["flagged_at"])
    risk = body["risk"]
    risk["level"] = pick("risk.level", st.one_of(hostile_text, numbers), risk["level"])
    risk["score"] = pick("risk.score", numbers, risk["score"])
    risk["model"] = pick("risk.model", hostile_text, risk["model"])
    risk["categories"] = pick("risk.categories", st.lists(hostile_text, max_size=3), ["suicide"])
    consent = body["consent"]
    consent["granted_at"] = pick("consent.granted_at", dates, consent["granted_at"])
    consent["statement"] = pick("consent.statement", hostile_text, draw(free_text))
    contact = body["contact"]
    contact["name"] = pick("contact.name", hostile_text, contact["name"])
    contact["language"] = pick("contact.language", hostile_text, contact["language"])
    contact["phone"] = pick("contact.phone", st.one_of(hostile_text, numbers), contact["phone"])
    contact["emergency_contacts"] = pick(
        "contact.emergency_contacts",
        st.lists(
            st.fixed_dictionaries(
                {
                    "name": hostile_text,
                    "relationship": hostile_text,
                    "phone": st.just("+16145550143"),
                }
            ),
            max_size=2,
        ),
        [],
    )
    civic = body["location"]["civic"]
    for part in ("street", "unit", "city", "county", "state", "postal_code", "country"):
        civic[part] = pick(f"civic.{part}", hostile_text, civic[part])
    if "geo" in bad:
        body["location"]["geo"] = {
            "lat": draw(numbers),
            "lon": draw(numbers),
            "accuracy_m": draw(numbers),
            "captured_at": draw(dates),
        }
    for message in body["transcript"]:
        message["text"] = pick("transcript.text", hostile_text, draw(free_text))
        message["at"] = pick("transcript.at", dates, message["at"])
    body["metadata"] = pick("metadata", metadata, {"session": draw(hostile_text.map(repr))})
    return json.dumps(body).replace(f'"{HUGE}"', "1e999").replace(f'"{NEG_HUGE}"', "-1e999")


def _jobs_never_raise() -> None:
    with (
        mock.patch.object(callback_send_task, "delay"),
        mock.patch.object(callback_send_task, "apply_async"),
        mock.patch.object(summary_build_task, "delay"),
        mock.patch.object(summary_sweep_task, "delay"),
    ):
        queue_age()
        summaries_sweep()
        callbacks_sweep_task()
        follow_ups_remind()
        emergency_confirmations_overdue()


@pytest.fixture
def floor(db, platform_factory) -> Iterator[SimpleNamespace]:
    counselor = make_staff("casey")
    # One counselor claims case after case here: the claim limit is not what is under test.
    with override_settings(COUNSELOR_MAX_OPEN_CASES=1_000_000):
        yield SimpleNamespace(
            p=platform_factory(), counselor=counselor, client=signed_in(counselor)
        )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    raw=handoffs(),
    message=st.fixed_dictionaries({"text": st.one_of(free_text, hostile_text), "at": dates}),
    claim=st.booleans(),
    withdraw=st.sampled_from([None, "user_left", "consent_revoked", "\u202euser_left"]),
)
def test_hostile_handoffs_never_5xx_and_never_stop_a_job(
    floor: SimpleNamespace, raw: str, message: dict[str, Any], claim: bool, withdraw: str | None
) -> None:
    p = floor.p
    created = post_signed(Client(), p.url(), secret=p.inbound_secret, body=raw)
    assert created.status_code < 500, created.content
    event(f"create answered {created.status_code}")
    if created.status_code == 202:
        case_id = created.json()["id"]
        status = get_signed(Client(), p.url(f"/{case_id}"), secret=p.inbound_secret)
        assert status.status_code == 200, status.content
        appended = post_signed(
            Client(),
            p.url(f"/{case_id}/messages"),
            secret=p.inbound_secret,
            body={"messages": [{"role": "user", **message}]},
        )
        assert appended.status_code < 500, appended.content
        if claim:
            handoff_claim(handoff_id=case_id, counselor=floor.counselor)
        if withdraw:
            withdrawn = post_signed(
                Client(),
                p.url(f"/{case_id}/withdraw"),
                secret=p.inbound_secret,
                body={"reason": withdraw},
            )
            assert withdrawn.status_code < 500, withdrawn.content
        # Due for every job: past its target, a follow-up due, an emergency call unconfirmed.
        long_ago = django_timezone.now() - timedelta(hours=1)
        Handoff.objects.filter(pk=case_id).update(queued_at=long_ago)
        FollowUp.objects.create(handoff_id=case_id, counselor=floor.counselor, due_at=long_ago)
        EmergencyCall.objects.create(
            handoff_id=case_id,
            counselor=floor.counselor,
            center_name="Franklin County",
            center_number="6145550100",
            dialed_at=long_ago,
            relayed="x",
            person_consented=True,
            recorded_at=long_ago,
        )
        page = floor.client.get(f"/cases/{case_id}/")
        assert page.status_code < 500
    dashboard = floor.client.get("/")
    assert dashboard.status_code == 200
    _jobs_never_raise()
