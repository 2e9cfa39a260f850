"""The event log in the embedded default (SQLite, `make demo`): triggers refuse UPDATE and
DELETE, a log the console wrote verifies, and tampering done straight in the database file (the
triggers dropped for it and put back) fails `manage.py audit_verify`, naming the broken link.
Each step runs `manage.py` in a process of its own, on a fresh machine's environment."""

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.servers import ROOT, embedded_env

pytestmark = pytest.mark.slow

DB = "handoff.sqlite3"


def manage(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=embedded_env(data),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("embedded")
    ok(manage(data, "migrate", "-v", "0"))
    ok(manage(data, "shell", "-c", "from tests.audit.seed import seed; seed()"))
    return data


@pytest.fixture
def data(seeded: Path, tmp_path: Path) -> Path:
    """A copy of the seeded console (database and the secret key its chains are keyed with)."""
    return Path(shutil.copytree(seeded, tmp_path / "data"))


@contextmanager
def database(data: Path) -> Iterator[sqlite3.Connection]:
    con = sqlite3.connect(data / DB)
    try:
        with con:
            yield con
    finally:
        con.close()


@contextmanager
def triggers_dropped(data: Path) -> Iterator[sqlite3.Connection]:
    """Someone with the database file drops the guards, tampers, and puts them back."""
    with database(data) as con:
        # The event log's guards, not the queue's counters (migration 0017).
        saved = con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name <> 'handoff_handoff'"
        ).fetchall()
        assert len(saved) == 4
        for name, _ in saved:
            con.execute(f"DROP TRIGGER {name}")
        yield con
        for _, sql in saved:
            con.execute(sql)


def chain(con: sqlite3.Connection, case: str) -> list[tuple[int, int, str]]:
    """(id, seq, hash) of a case's events in chain order."""
    return con.execute(
        "SELECT id, seq, hash FROM handoff_handoffevent WHERE handoff_id = ? ORDER BY seq", [case]
    ).fetchall()


def longest(con: sqlite3.Connection) -> str:
    """The case with the most events (the seed's first): its id as SQLite stores it."""
    return str(
        con.execute(
            "SELECT handoff_id FROM handoff_handoffevent GROUP BY handoff_id "
            "ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]
    )


def test_a_log_the_console_wrote_verifies(data: Path) -> None:
    out = ok(manage(data, "audit_verify"))
    with database(data) as con:
        events = con.execute("SELECT count(*) FROM handoff_handoffevent").fetchone()[0]
    assert f"audit log verified: {events} event(s) in 3 chain(s), 1 checkpoint(s)" in out


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE handoff_handoffevent SET kind = 'closed'",
        "DELETE FROM handoff_handoffevent",
        "UPDATE handoff_auditcheckpoint SET heads = '{}'",
        "DELETE FROM handoff_auditcheckpoint",
    ],
)
def test_the_triggers_refuse_changes(data: Path, statement: str) -> None:
    with database(data) as con, pytest.raises(sqlite3.DatabaseError, match="is append-only"):
        con.execute(statement)


def _edit(con: sqlite3.Connection) -> tuple[int, str]:
    event_id = chain(con, longest(con))[2][0]
    con.execute("UPDATE handoff_handoffevent SET data = '{\"note\": 1}' WHERE id = ?", [event_id])
    return event_id, "does not match its contents"


def _backdate(con: sqlite3.Connection) -> tuple[int, str]:
    event_id = chain(con, longest(con))[1][0]
    con.execute(
        "UPDATE handoff_handoffevent SET at = datetime(at, '-2 days') WHERE id = ?", [event_id]
    )
    return event_id, "does not match its contents"


def _delete(con: sqlite3.Connection) -> tuple[int, str]:
    events = chain(con, longest(con))
    con.execute("DELETE FROM handoff_handoffevent WHERE id = ?", [events[1][0]])
    return events[2][0], "(seq 2) are missing"


def _swap(con: sqlite3.Connection) -> tuple[int, str]:
    (a, a_seq, _), (b, b_seq, _) = chain(con, longest(con))[1:3]
    con.execute("UPDATE handoff_handoffevent SET seq = 999 WHERE id = ?", [a])
    con.execute("UPDATE handoff_handoffevent SET seq = ? WHERE id = ?", [a_seq, b])
    con.execute("UPDATE handoff_handoffevent SET seq = ? WHERE id = ?", [b_seq, a])
    return b, "does not match its contents"


def _forge(con: sqlite3.Connection) -> tuple[int, str]:
    case = longest(con)
    _, seq, head = chain(con, case)[-1]
    kid = head.partition(":")[0]
    cursor = con.execute(
        "INSERT INTO handoff_handoffevent (handoff_id, kind, at, data, seq, prev_hash, hash) "
        "VALUES (?, 'released', '2020-01-01 00:00:00.000000', '{}', ?, ?, ?)",
        [case, seq + 1, head, f"{kid}:{'0' * 64}"],
    )
    return int(cursor.lastrowid or 0), "does not match its contents"


def _delete_a_case(con: sqlite3.Connection) -> tuple[None, str]:
    shortest = con.execute(
        "SELECT handoff_id FROM handoff_handoffevent GROUP BY handoff_id "
        "ORDER BY count(*), handoff_id LIMIT 1"
    ).fetchone()[0]
    con.execute("DELETE FROM handoff_handoffevent WHERE handoff_id = ?", [shortest])
    return None, "every event is missing: checkpoint 1 signed it"


TAMPERS: dict[str, Callable[[sqlite3.Connection], tuple[int | None, str]]] = {
    "edit": _edit,
    "backdate": _backdate,
    "delete one": _delete,
    "swap places": _swap,
    "forge a backdated event": _forge,
    "delete a whole case": _delete_a_case,
}


@pytest.mark.parametrize("tamper", list(TAMPERS))
def test_tampering_is_detected_and_the_broken_link_named(data: Path, tamper: str) -> None:
    with triggers_dropped(data) as con:
        event_id, what = TAMPERS[tamper](con)
    done = manage(data, "audit_verify")
    assert done.returncode == 1, done.stdout
    if event_id is not None:
        assert f"first: event {event_id} (case " in done.stderr, done.stderr
    assert what in done.stderr, done.stderr


def test_triggers_left_dropped_fail_verification(data: Path) -> None:
    with database(data) as con:
        con.execute("DROP TRIGGER handoff_event_no_delete")
    done = manage(data, "audit_verify")
    assert done.returncode == 1
    assert "guard missing: trigger handoff_event_no_delete on handoff_handoffevent" in done.stderr


def test_an_existing_log_is_chained_when_the_migration_runs(tmp_path: Path) -> None:
    """Events written before the chains existed are chained case by case, in time order, and
    the first checkpoint signs them."""
    ok(manage(tmp_path, "migrate", "handoff", "0013", "-v", "0"))
    first, second = "a" * 32, "b" * 32
    with database(tmp_path) as con:
        con.executemany(
            "INSERT INTO handoff_handoffevent (handoff_id, kind, at, data) VALUES (?, ?, ?, ?)",
            [
                (first, "viewed", "2025-03-10 10:00:05.000000", '{"door": "case-live"}'),
                (first, "received", "2025-03-10 10:00:00.000000", '{"messages": 3}'),
                (second, "received", "2025-03-11 09:00:00.000000", "{}"),
            ],
        )
    ok(manage(tmp_path, "migrate", "-v", "0"))
    with database(tmp_path) as con:
        kinds = con.execute(
            "SELECT kind FROM handoff_handoffevent WHERE handoff_id = ? ORDER BY seq", [first]
        ).fetchall()
    assert kinds == [("received",), ("viewed",)]
    assert "3 event(s) in 2 chain(s), 0 checkpoint(s)" in ok(manage(tmp_path, "audit_verify"))
    assert "checkpoint 1: 2 chain(s)" in ok(manage(tmp_path, "audit_checkpoint"))
    assert "1 checkpoint(s)" in ok(manage(tmp_path, "audit_verify", "--from", "2025-03-10"))
