"""Appends to one case take turns and chain in order; appends to different cases never wait on
each other (no global lock on intake). Real threads, each with its own PostgreSQL connection."""

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection, connections, transaction

from handoff.events import event_record
from handoff.models import EventKind, Handoff, HandoffEvent
from tests.audit.seed import seed

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 8
EACH = 5


def test_simultaneous_appends_to_one_case_make_one_unbroken_chain() -> None:
    log = seed(cases=1)
    case = Handoff.objects.get(pk=log.cases[0])
    before = HandoffEvent.objects.filter(handoff_id=case.pk).count()
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def write() -> None:
        try:
            start.wait(timeout=30)
            for _ in range(EACH):
                event_record(handoff=case, kind=EventKind.VIEWED, actor=log.counselor)
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failures == []
    seqs = list(
        HandoffEvent.objects.filter(handoff_id=case.pk).order_by("seq").values_list("seq", "at")
    )
    assert [s for s, _ in seqs] == list(range(1, before + WRITERS * EACH + 1))
    times = [at for _, at in seqs]
    assert times == sorted(times)  # the time is taken under the case's lock
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "audit log verified" in out.getvalue()


def test_an_append_waits_for_its_own_case_only() -> None:
    log = seed(cases=2)
    held, other = (Handoff.objects.get(pk=c) for c in log.cases)
    holding, release = threading.Event(), threading.Event()

    def hold_case_open() -> None:
        try:
            with transaction.atomic():
                event_record(handoff=held, kind=EventKind.VIEWED, actor=log.counselor)
                holding.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold_case_open)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        # Another case's append goes straight through while the first case's is uncommitted.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '5s'")
            event_record(handoff=other, kind=EventKind.VIEWED, actor=log.counselor)
        # The same case's append waits for it (here: gives up after a short lock timeout).
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '100ms'")
            with pytest.raises(OperationalError, match="lock timeout"):
                event_record(handoff=held, kind=EventKind.VIEWED, actor=log.counselor)
    finally:
        release.set()
        thread.join(timeout=30)
    event_record(handoff=held, kind=EventKind.VIEWED, actor=log.counselor)
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "audit log verified" in out.getvalue()
