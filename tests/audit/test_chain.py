"""The event log on PostgreSQL: `audit_verify` passes on a log the console wrote, and after each
kind of tampering done straight in the database by its owner (the guards switched off for it,
then on again to cover the tracks) it fails, naming the broken link."""

import hashlib
import hmac
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from handoff.audit.checkpoints import checkpoints_record
from handoff.audit.verify import PG_GUARDS
from handoff.events import event_record
from handoff.models import AuditCheckpoint, EventKind, Handoff, HandoffEvent
from tests.audit.seed import Log, seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def log() -> Log:
    return seed()


def verified(*args: str) -> str:
    out = StringIO()
    call_command("audit_verify", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def broken(*args: str) -> str:
    """The command's failure: its message (the first broken link) and every line it wrote."""
    err = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify", *args, stdout=StringIO(), stderr=err)
    assert failure.value.returncode == 1
    return f"{failure.value}\n{err.getvalue()}"


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


@contextmanager
def guards_off() -> Iterator[None]:
    """The tables' owner switches the triggers off, tampers, and switches them back on."""
    sql("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own inserts: ALTER TABLE needs them checked
    for table, names in PG_GUARDS.items():
        for name in names:
            sql(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
    yield
    for table, names in PG_GUARDS.items():
        for name in names:
            sql(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}")


def chain_of(case_id: str) -> list[HandoffEvent]:
    return list(HandoffEvent.objects.filter(handoff_id=case_id).order_by("seq"))


def test_a_log_the_console_wrote_verifies(log: Log) -> None:
    out = verified()
    events = HandoffEvent.objects.count()
    assert f"audit log verified: {events} event(s) in 3 chain(s), 1 checkpoint(s)" in out
    assert "guards in place" in out
    # Each case's chain runs 1, 2, 3 ... and links each event to the one before it.
    for case_id in log.cases:
        chain = chain_of(case_id)
        assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
        assert chain[0].prev_hash == ""
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))
    # The links are keyed: each names its key, and is no plain hash of what it covers.
    event = chain_of(log.cases[0])[0]
    kid, _, digest = event.hash.partition(":")
    assert kid.startswith("sk") and len(digest) == 64


# --- tampering -----------------------------------------------------------------------------


def _edit_data(log: Log) -> tuple[int, str]:
    event = chain_of(log.cases[0])[2]
    sql("UPDATE handoff_handoffevent SET data = '{\"note\": 1}' WHERE id = %s", [event.id])
    return event.id, "does not match its contents"


def _backdate(log: Log) -> tuple[int, str]:
    event = chain_of(log.cases[0])[1]
    sql("UPDATE handoff_handoffevent SET at = at - interval '2 days' WHERE id = %s", [event.id])
    return event.id, "does not match its contents"


def _change_actor(log: Log) -> tuple[int, str]:
    event = next(e for e in chain_of(log.cases[0]) if e.actor_id == log.supervisor.pk)
    sql(
        "UPDATE handoff_handoffevent SET actor_id = %s WHERE id = %s",
        [log.counselor.pk, event.id],
    )
    return event.id, "does not match its contents"


def _delete_one(log: Log) -> tuple[int, str]:
    chain = chain_of(log.cases[0])
    sql("DELETE FROM handoff_handoffevent WHERE id = %s", [chain[1].id])
    return chain[2].id, "(seq 2) are missing"


def _swap_seq(log: Log) -> tuple[int, str]:
    chain = chain_of(log.cases[0])
    a, b = chain[1], chain[2]
    sql("UPDATE handoff_handoffevent SET seq = 999 WHERE id = %s", [a.id])
    sql("UPDATE handoff_handoffevent SET seq = %s WHERE id = %s", [a.seq, b.id])
    sql("UPDATE handoff_handoffevent SET seq = %s WHERE id = %s", [b.seq, a.id])
    return b.id, "does not match its contents"  # now second in the chain, where a was


def _swap_times(log: Log) -> tuple[int, str]:
    chain = chain_of(log.cases[0])
    a, b = chain[1], chain[2]
    sql("UPDATE handoff_handoffevent SET at = %s WHERE id = %s", [b.at, a.id])
    sql("UPDATE handoff_handoffevent SET at = %s WHERE id = %s", [a.at, b.id])
    return a.id, "does not match its contents"


def _move_to_another_case(log: Log) -> tuple[int, str]:
    event = chain_of(log.cases[1])[0]
    other = chain_of(log.cases[2])
    sql(
        "UPDATE handoff_handoffevent SET handoff_id = %s, seq = %s WHERE id = %s",
        [log.cases[2], len(other) + 1, event.id],
    )
    return event.id, "does not match its contents"


def _forge_backdated(log: Log) -> tuple[int, str]:
    """A row written past the console: the right place, a link to the real head, a digest
    made the way an attacker without the key would (a plain SHA-256, or an HMAC with a guess)."""
    last = chain_of(log.cases[1])[-1]
    kid = last.hash.partition(":")[0]
    guess = hmac.new(b"guessed-key", b"forged", hashlib.sha256).hexdigest()
    sql(
        "INSERT INTO handoff_handoffevent (handoff_id, platform_id, actor_id, kind, at, data, "
        "seq, prev_hash, hash) VALUES (%s, %s, %s, 'released', %s, '{}', %s, %s, %s)",
        [
            log.cases[1],
            last.platform_id,
            log.counselor.pk,
            last.at - timedelta(days=3),
            last.seq + 1,
            last.hash,
            f"{kid}:{guess}",
        ],
    )
    forged = HandoffEvent.objects.get(handoff_id=log.cases[1], seq=last.seq + 1)
    return forged.id, "does not match its contents"


def _cut_the_tail(log: Log) -> tuple[None, str]:
    """The newest events of a case, back past what the checkpoint signed: the chain left looks
    whole, and only the checkpoint knows it was longer."""
    chain = chain_of(log.cases[0])
    sql("DELETE FROM handoff_handoffevent WHERE id IN (%s, %s)", [chain[-1].id, chain[-2].id])
    return None, (
        f"case {log.cases[0]}: its events after seq {len(chain) - 2} are missing: "
        f"checkpoint 1 signed it up to seq {len(chain) - 1}"
    )


def _delete_a_whole_case(log: Log) -> tuple[None, str]:
    sql("DELETE FROM handoff_handoffevent WHERE handoff_id = %s", [log.cases[2]])
    return None, f"case {log.cases[2]}: every event is missing: checkpoint 1 signed it"


def _truncate(log: Log) -> tuple[None, str]:
    sql("TRUNCATE handoff_handoffevent")
    return None, "every event is missing"


def _edit_a_checkpoint(log: Log) -> tuple[None, str]:
    sql("UPDATE handoff_auditcheckpoint SET heads = '{}' WHERE seq = 1")
    return None, "checkpoint 1: its hash does not match its contents"


TAMPERS: dict[str, Callable[[Log], tuple[int | None, str]]] = {
    "edit data": _edit_data,
    "backdate": _backdate,
    "change who": _change_actor,
    "delete one": _delete_one,
    "swap places": _swap_seq,
    "swap times": _swap_times,
    "move to another case": _move_to_another_case,
    "forge a backdated event": _forge_backdated,
    "cut a signed tail": _cut_the_tail,
    "delete a whole case": _delete_a_whole_case,
    "truncate": _truncate,
    "edit a checkpoint": _edit_a_checkpoint,
}


@pytest.mark.parametrize("tamper", list(TAMPERS))
def test_tampering_is_detected_and_the_broken_link_named(log: Log, tamper: str) -> None:
    assert "audit log verified" in verified()
    with guards_off():
        event_id, what = TAMPERS[tamper](log)
    said = broken()
    if event_id is not None:
        assert f"first: event {event_id} (case " in said, said
    assert what in said, said


def test_a_tampered_case_is_named_and_the_others_still_verify(log: Log) -> None:
    with guards_off():
        event_id, _ = _edit_data(log)
    assert f"first: event {event_id} (case {log.cases[0]}, seq 3)" in broken()
    assert f"event {event_id}" in broken("--case", log.cases[0])
    assert "audit log verified: 1 event(s) in 1 chain(s)" in verified("--case", log.cases[1])
    today = timezone.localdate()
    assert f"event {event_id}" in broken("--from", today.isoformat(), "--to", today.isoformat())
    # A period with nothing in it has nothing to check.
    long_ago = (today - timedelta(days=400)).isoformat()
    assert "0 event(s) in 0 chain(s)" in verified("--from", long_ago, "--to", long_ago)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--from", "10/03/2025"], "--from: expected a date like 2025-03-10."),
        (["--to", "2025-02-30"], "--to: expected a date like 2025-03-10."),
        (["--from", "2025-03-12", "--to", "2025-03-10"], "--from is after --to."),
        (["--case", "not-a-case"], "--case: expected a case id (a UUID)."),
        (["--case", "00000000-0000-0000-0000-000000000001", "--from", "2025-03-10"], "leave out"),
    ],
)
def test_bad_options_are_named(args: list[str], said: str) -> None:
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify", *args, stdout=StringIO())
    assert said in str(failure.value)
    assert failure.value.returncode == 2


# --- the guards ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE handoff_handoffevent SET kind = 'closed'",
        "DELETE FROM handoff_handoffevent",
        "TRUNCATE handoff_handoffevent",
        "UPDATE handoff_auditcheckpoint SET heads = '{}'",
        "DELETE FROM handoff_auditcheckpoint",
        "TRUNCATE handoff_auditcheckpoint",
    ],
)
def test_the_guards_refuse_changes_even_in_replica_mode(log: Log, statement: str) -> None:
    """session_replication_role = replica switches ordinary triggers off; these fire always."""
    sql("SET CONSTRAINTS ALL IMMEDIATE")  # the seed's own inserts, before TRUNCATE
    with transaction.atomic():
        sql("SET LOCAL session_replication_role = replica")
        with pytest.raises(DatabaseError, match="is append-only"), transaction.atomic():
            sql(statement)
    assert "audit log verified" in verified()


def test_a_guard_left_off_fails_verification(log: Log) -> None:
    sql("SET CONSTRAINTS ALL IMMEDIATE")
    sql("ALTER TABLE handoff_handoffevent DISABLE TRIGGER handoff_event_no_truncate")
    said = broken()
    assert "guard not always on: trigger handoff_event_no_truncate on handoff_handoffevent" in said
    sql("ALTER TABLE handoff_handoffevent ENABLE TRIGGER handoff_event_no_truncate")
    assert "guard not always on" in broken()  # on, but not ALWAYS: replica mode gets past it
    sql("DROP TRIGGER handoff_event_no_truncate ON handoff_handoffevent")
    assert "guard missing: trigger handoff_event_no_truncate" in broken()


def test_the_model_refuses_an_unchained_or_second_save(log: Log) -> None:
    event = chain_of(log.cases[0])[0]
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    loose = HandoffEvent(handoff_id=event.handoff_id, kind=EventKind.VIEWED)
    with pytest.raises(ValueError, match=r"record it with handoff\.events"):
        loose.save()
    # Straight into the table without its links: the database refuses too.
    with pytest.raises(DatabaseError), transaction.atomic():
        sql(
            "INSERT INTO handoff_handoffevent (handoff_id, kind, at, data, seq, prev_hash, hash) "
            "VALUES (%s, 'viewed', now(), '{}', 99, '', '')",
            [log.cases[0]],
        )


# --- keys ----------------------------------------------------------------------------------

OLD = "a1:" + "o" * 40
NEW = "b2:" + "n" * 40


def test_links_keep_verifying_after_the_key_rotates(db: None, settings: Any) -> None:
    settings.AUDIT_CHAIN_KEYS = [OLD]
    log = seed()
    case = Handoff.objects.get(pk=log.cases[1])
    old = chain_of(log.cases[1])[-1]
    assert old.hash.startswith("a1:")
    settings.AUDIT_CHAIN_KEYS = [NEW, OLD]  # the new key first; the old one still verifies
    new = event_record(handoff=case, kind=EventKind.VIEWED)
    assert new.hash.startswith("b2:") and new.prev_hash == old.hash
    assert "audit log verified" in verified()
    settings.AUDIT_CHAIN_KEYS = [NEW]
    said = broken("--case", log.cases[1])
    assert f"event {chain_of(log.cases[1])[0].id} (case {log.cases[1]}, seq 1)" in said
    assert "signed with key 'a1', which is not configured (AUDIT_CHAIN_KEYS)" in said


def test_the_derived_key_follows_django_secret_key_rotation(log: Log, settings: Any) -> None:
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-the-console-rotated-today"
    assert "audit log verified" in verified()
    settings.SECRET_KEY_FALLBACKS = []
    assert "which is not configured" in broken()


@pytest.mark.parametrize("entry", ["nokid", "a-b:" + "x" * 40, "k1:short"])
def test_a_malformed_key_is_refused_at_first_use(log: Log, settings: Any, entry: str) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.AUDIT_CHAIN_KEYS = [entry]
    with pytest.raises(ImproperlyConfigured, match="AUDIT_CHAIN_KEYS entries must look like"):
        event_record(handoff=Handoff.objects.get(pk=log.cases[0]), kind=EventKind.VIEWED)


# --- checkpoints ---------------------------------------------------------------------------


def test_a_checkpoint_signs_only_the_chains_that_grew(log: Log) -> None:
    first = AuditCheckpoint.objects.get(seq=1)
    assert set(first.heads) == set(log.cases)
    # The seed's last event came after checkpoint 1: checkpoint 2 signs only that case.
    (second,) = checkpoints_record()
    assert list(second.heads) == [log.cases[0]]
    assert second.heads[log.cases[0]] == [
        len(chain_of(log.cases[0])),
        chain_of(log.cases[0])[-1].hash,
    ]
    assert second.prev_hash == first.hash
    out = StringIO()
    call_command("audit_checkpoint", stdout=out)
    assert out.getvalue() == "no chain grew since the last checkpoint\n"
    event_record(handoff=Handoff.objects.get(pk=log.cases[2]), kind=EventKind.VIEWED)
    call_command("audit_checkpoint", stdout=out)
    assert "checkpoint 3: 1 chain(s), hash sk" in out.getvalue()
    assert "audit log verified" in verified()


def test_checkpoints_sign_a_backlog_in_batches(log: Log) -> None:
    for case_id in log.cases:
        event_record(handoff=Handoff.objects.get(pk=case_id), kind=EventKind.VIEWED)
    made = checkpoints_record(batch=2)
    assert [len(c.heads) for c in made] == [2, 1]
    assert "3 checkpoint(s)" in verified()


def test_events_cut_from_a_chain_since_its_last_checkpoint_go_unnoticed(log: Log) -> None:
    """The limit docs/audit.md states: the newest event of case 0 came after the checkpoint,
    and nothing but a checkpoint remembers that a chain was longer."""
    with guards_off():
        sql("DELETE FROM handoff_handoffevent WHERE id = %s", [chain_of(log.cases[0])[-1].id])
    assert "audit log verified" in verified()
