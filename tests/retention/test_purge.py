"""Retention: `manage.py purge` (and the daily job) erases the personal content of cases that
ended more than their platform's retention_days ago. Read back from the raw columns: the expired
case holds no personal content, the reports over the period give the same numbers, a case
inside its retention is untouched, the event log only grows, and a second run changes nothing.
"""

import logging
from datetime import timedelta
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import models
from django.db.models import F
from django.test import Client
from django.utils import timezone

from handoff.crypto import decrypt_text, encrypted_fields
from handoff.models import (
    Disposition,
    EmergencyCall,
    EventKind,
    FollowUp,
    Handoff,
    HandoffEvent,
    MobileCrisisDispatch,
    Note,
    Status,
    TranscriptMessage,
)
from handoff.reports import selectors
from handoff.retention import services
from handoff.retention.services import (
    _path_to_case,
    case_content,
    encrypted_fields_outside_cases,
    purge_expired,
)
from handoff.retention.tasks import retention_purge_task
from tests.support.factories import PlatformWithSecrets, handoff_body, post_signed
from tests.support.full_case import full_cases, markers_in, raw_rows
from tests.support.staff import signed_in

pytestmark = pytest.mark.django_db

AGO = timedelta(days=100)  # past the default retention of 90 days


def _raw_rows(case_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table that belongs to the case, as the database holds it."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for model in apps.get_models():
        path = _path_to_case(model)
        if path is not None:
            pks = model._default_manager.filter(**{path: case_id}).values_list("pk", flat=True)
            if found := raw_rows(model, list(pks)):
                rows[model._meta.label] = found
    return rows


def _events() -> list[tuple[Any, ...]]:
    return list(HandoffEvent.objects.order_by("id").values_list("id", "kind", "at", "data"))


def _ended_long_ago(case_id: str) -> None:
    """Move the whole case back in time, as if it arrived and ended AGO."""
    Handoff.objects.filter(pk=case_id).update(
        flagged_at=F("flagged_at") - AGO,
        received_at=F("received_at") - AGO,
        queued_at=F("queued_at") - AGO,
        claimed_at=F("claimed_at") - AGO,
        closed_at=F("closed_at") - AGO,
        withdrawn_at=F("withdrawn_at") - AGO,
    )


def _withdrawn(p: PlatformWithSecrets) -> str:
    response = post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body())
    case_id = str(response.json()["id"])
    withdraw = post_signed(
        Client(),
        p.url(f"/{case_id}/withdraw"),
        secret=p.inbound_secret,
        body={"reason": "user_left"},
    )
    assert withdraw.status_code == 202
    return case_id


def _reports(supervisor: Any) -> tuple[Any, str, str]:
    today = timezone.localdate()
    period = selectors.Period(start=today - AGO - timedelta(days=1), end=today)
    query = f"from={period.start.isoformat()}&to={period.end.isoformat()}"
    client = signed_in(supervisor)
    csv = client.get(f"/reports.csv?{query}")
    slug = Handoff.objects.values_list("platform__slug", flat=True).first()
    own = client.get(f"/reports/platforms/{slug}.csv?{query}")
    assert csv.status_code == own.status_code == 200
    return selectors.report_for(period=period), csv.content.decode(), own.content.decode()


def _assert_erased(case_id: str) -> None:
    """Every encrypted field of the case and its rows decrypts to nothing; the plain columns
    that said where the person was are empty; no typed text is left in any of its rows."""
    for content in case_content():
        manager = content.model._default_manager
        pks = list(manager.filter(**{content.path: case_id}).values_list("pk", flat=True))
        for name, empty in content.values.items():
            label = f"{content.model._meta.label}.{name}"
            field = content.model._meta.get_field(name)
            assert isinstance(field, models.Field) and field.column
            for (raw,) in raw_rows(content.model, pks, field.column):
                if empty is None:
                    assert raw is None, label
                elif isinstance(empty, str):
                    assert decrypt_text(raw) == "", label
                else:
                    assert decrypt_text(raw) in ("{}", "[]"), label
    assert markers_in(repr(_raw_rows(case_id))) == []


def test_every_encrypted_field_is_a_case_s_content_or_a_platform_secret() -> None:
    """Found by type, so a field added later is erased with its case; one on a row that belongs
    to no case fails here until someone decides what it is."""
    everything = {f"{model._meta.label}.{f.name}" for model, f in encrypted_fields()}
    erased = {f"{c.model._meta.label}.{name}" for c in case_content() for name in c.values}
    outside = encrypted_fields_outside_cases()
    assert outside == ["handoff.Platform.outbound_secret", "handoff.PlatformSecret.secret"]
    assert everything - erased - set(outside) == {"handoff.Handoff.purge_reason"}
    assert {
        "handoff.TranscriptMessage.text",
        "handoff.Release.reason",
        "handoff.Review.comment",
        "handoff.MobileCrisisStatusUpdate.note",
        "handoff.Consent.statement",
    } <= erased


def test_purge_erases_expired_cases_and_the_reports_do_not_change(platform_factory: Any) -> None:
    cases = full_cases(platform_factory)
    expired, inside = cases.emergency, cases.deescalated
    _ended_long_ago(expired)
    left = _withdrawn(cases.platform)
    _ended_long_ago(left)
    counts = {m: m.objects.filter(handoff_id=expired).count() for m in (TranscriptMessage, Note)}
    kept = Handoff.objects.filter(pk=expired).values(
        "status", "tier", "platform_level", "outcome", "received_at", "claimed_at", "closed_at",
        "claimed_by", "risk_score", "has_phone", "has_location",
    ).get()  # fmt: skip
    inside_before = _raw_rows(inside)
    erased_before = _raw_rows(cases.erased)
    reports_before = _reports(cases.supervisor)
    events_before = _events()

    dry = StringIO()
    call_command("purge", "--dry-run", stdout=dry)
    assert f"{cases.platform.slug}: 2 case(s) would be erased" in dry.getvalue()
    assert Handoff.objects.filter(purged_at__isnull=False).count() == 1  # the supervisor's only

    out = StringIO()
    call_command("purge", stdout=out)
    assert "2 case(s) erased." in out.getvalue()

    for case_id in (expired, left):
        _assert_erased(case_id)
    # What reports count is still there: the rows, tier, times, outcome, who, flags.
    assert {m: m.objects.filter(handoff_id=expired).count() for m in counts} == counts
    assert Disposition.objects.filter(handoff_id=expired).exists()
    assert EmergencyCall.objects.get(handoff_id=expired).center_id is None
    assert MobileCrisisDispatch.objects.get(handoff_id=expired).team_id is None
    handoff = Handoff.objects.get(pk=expired)
    assert {k: getattr(handoff, k if k != "claimed_by" else "claimed_by_id") for k in kept} == kept
    assert handoff.purged_at is not None and handoff.purged_by is None
    assert _reports(cases.supervisor) == reports_before
    # A case inside its retention, and one already erased, are untouched to the byte.
    assert _raw_rows(inside) == inside_before
    assert _raw_rows(cases.erased) == erased_before
    # The log only grew: an "erased" event per case, with ids and the rule, never content.
    events = _events()
    assert events[: len(events_before)] == events_before
    added = HandoffEvent.objects.filter(pk__gt=events_before[-1][0])
    assert sorted((str(e.handoff_id), e.kind, e.actor_id) for e in added) == sorted(
        [(expired, EventKind.ERASED, None), (left, EventKind.ERASED, None)]
    )
    assert all(e.data == {"by": "retention", "retention_days": 90} for e in added)

    # The case page says what happened, and shows nothing of the person.
    page = signed_in(cases.supervisor).get(f"/cases/{expired}/").content.decode()
    assert 'data-testid="erased"' in page and "retention of 90 days" in page
    assert markers_in(page) == [] and "+16145550142" not in page and "Main St" not in page
    assert "Erase this case" not in page  # nothing left to erase

    # Safe to run twice: the second run finds nothing, and changes nothing.
    after = {case_id: _raw_rows(case_id) for case_id in (expired, left, inside)}
    events = _events()
    again = StringIO()
    call_command("purge", stdout=again)
    assert "0 case(s) erased." in again.getvalue()
    assert {case_id: _raw_rows(case_id) for case_id in after} == after
    assert _events() == events


def test_one_case_that_fails_does_not_stop_the_batch(platform_factory: Any, caplog: Any) -> None:
    p = platform_factory()
    ids = [_withdrawn(p) for _ in range(3)]
    for case_id in ids:
        _ended_long_ago(case_id)
    bad = min(ids)  # the batch goes by id: the first of three
    erase = services._erase

    def failing(handoff_id: Any) -> None:
        if str(handoff_id) == bad:
            raise RuntimeError("a row this job cannot write")
        erase(handoff_id)

    out = StringIO()
    with (
        mock.patch.object(services, "_erase", failing),
        caplog.at_level(logging.WARNING),
        pytest.raises(CommandError, match="1 case\\(s\\) could not be erased"),
    ):
        call_command("purge", "--batch", "1", stdout=out)
    assert "2 case(s) erased." in out.getvalue()
    assert f"retention purge: skipped {bad} (RuntimeError)" in caplog.text
    # The failed case was rolled back whole: not marked, nothing erased.
    assert Handoff.objects.get(pk=bad).purged_at is None
    assert not HandoffEvent.objects.filter(handoff_id=bad, kind=EventKind.ERASED).exists()
    # The next run takes it.
    again = StringIO()
    call_command("purge", stdout=again)
    assert "1 case(s) erased." in again.getvalue()
    assert Handoff.objects.filter(pk__in=ids, purged_at__isnull=False).count() == 3


def test_an_open_follow_up_holds_a_case_back_until_it_is_done(platform_factory: Any) -> None:
    cases = full_cases(platform_factory)
    calm = cases.deescalated
    _ended_long_ago(calm)
    FollowUp.objects.filter(handoff_id=calm).update(done_at=None)
    out = StringIO()
    call_command("purge", stdout=out)
    assert "0 case(s) erased." in out.getvalue()
    assert "1 case(s) past retention kept for an open follow-up" in out.getvalue()
    assert Handoff.objects.get(pk=calm).purged_at is None
    FollowUp.objects.filter(handoff_id=calm).update(done_at=timezone.now())
    call_command("purge", stdout=StringIO())
    _assert_erased(calm)


def test_retention_is_each_platform_s_own(platform_factory: Any) -> None:
    short, long = platform_factory(), platform_factory()
    short.platform.retention_days = 30
    short.platform.save(update_fields=["retention_days"])
    long.platform.retention_days = 365
    long.platform.save(update_fields=["retention_days"])
    a, b = _withdrawn(short), _withdrawn(long)
    for case_id in (a, b):
        _ended_long_ago(case_id)
    assert purge_expired(batch=10).erased == 1
    assert Handoff.objects.get(pk=a).purged_at is not None
    assert Handoff.objects.get(pk=b).purged_at is None
    # An open case is never erased, however old.
    open_case = post_signed(
        Client(), short.url(), secret=short.inbound_secret, body=handoff_body()
    ).json()["id"]
    _ended_long_ago(open_case)
    Handoff.objects.filter(pk=open_case).update(received_at=timezone.now() - timedelta(days=999))
    assert purge_expired(batch=10).erased == 0
    assert Handoff.objects.get(pk=open_case).status == Status.QUEUED


def test_the_daily_job_is_scheduled_and_hands_over_when_out_of_time(
    platform_factory: Any,
) -> None:
    assert settings.CELERY_BEAT_SCHEDULE["retention-purge"] == {
        "task": "handoff.retention_purge",
        "schedule": 86400.0,
    }
    p = platform_factory()
    ids = [_withdrawn(p) for _ in range(3)]
    for case_id in ids:
        _ended_long_ago(case_id)
    # Out of time after its first batch: it stops there and has a fresh run carry on.
    hand_over = mock.Mock()
    result = purge_expired(batch=1, budget_s=0.0, hand_over=hand_over)
    assert (result.erased, result.finished) == (1, False)
    hand_over.assert_called_once_with()
    # The task itself (as beat runs it) finishes the rest.
    assert retention_purge_task.apply().get() == 2
    assert Handoff.objects.filter(pk__in=ids, purged_at__isnull=False).count() == 3
