"""The console under a PostgreSQL role of its own, set up by `manage.py db_roles`: it works
(intake, events, checkpoints, verification), inserts into and reads the event log, and cannot
change, empty or unguard it by any door the issue names."""

import subprocess
import sys
from collections.abc import Iterator
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.audit.seed import seed
from tests.support.servers import ROOT, console_env

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def role() -> Iterator[str]:
    """A login role for this test database only (roles are shared by the whole server)."""
    name = f"{connection.settings_dict['NAME']}_console".lower()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP ROLE IF EXISTS "{name}"')
        cursor.execute(f'CREATE ROLE "{name}" LOGIN')
    try:
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{name}"')
            cursor.execute(f'DROP ROLE "{name}"')


def as_role(role: str) -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        dbname=db["NAME"],
        user=role,
        autocommit=True,
    )


# What the console's own code does as the role: record events on a case, sign a checkpoint, and
# verify the log (which reads the guards' state from the catalog).
CONSOLE_WORK = """
from django.core.management import call_command
from handoff.events import event_record
from handoff.models import EventKind, Handoff
case = Handoff.objects.get(pk="{case}")
event_record(handoff=case, kind=EventKind.VIEWED)
event_record(handoff=case, kind=EventKind.EXPORTED, data={{"format": "text"}})
call_command("audit_checkpoint")
call_command("audit_verify")
"""

REFUSED = {
    "UPDATE handoff_handoffevent SET kind = 'closed'": "permission denied",
    "DELETE FROM handoff_handoffevent": "permission denied",
    "TRUNCATE handoff_handoffevent": "permission denied",
    "UPDATE handoff_auditcheckpoint SET heads = '{}'": "permission denied",
    "DELETE FROM handoff_auditcheckpoint": "permission denied",
    "TRUNCATE handoff_auditcheckpoint": "permission denied",
    "ALTER TABLE handoff_handoffevent DISABLE TRIGGER handoff_event_append_only": "must be owner",
    "ALTER TABLE handoff_handoffevent DISABLE TRIGGER ALL": "must be owner",
    "DROP TRIGGER handoff_event_no_truncate ON handoff_handoffevent": "must be owner",
    "ALTER TABLE handoff_auditcheckpoint DISABLE TRIGGER handoff_checkpoint_append_only": (
        "must be owner"
    ),
    "SET session_replication_role = replica": "permission denied to set parameter",
    "CREATE OR REPLACE FUNCTION handoff_event_append_only() RETURNS trigger AS $$ "
    "BEGIN RETURN NULL; END; $$ LANGUAGE plpgsql": "permission denied for schema",
}


def test_the_console_role_only_inserts_into_and_reads_the_log(role: str) -> None:
    log = seed(cases=1)
    out = StringIO()
    call_command("db_roles", role, "--apply", stdout=out)
    assert f"{role}: reads and writes the console's tables; only inserts into" in out.getvalue()

    # The console, run as the role, does its work on the log.
    env = console_env(database_name=connection.settings_dict["NAME"])
    env["DATABASE_URL"] = env["DATABASE_URL"].replace("://postgres@", f"://{role}@")
    work = CONSOLE_WORK.format(case=log.cases[0])
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", work],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "audit log verified" in done.stdout

    with as_role(role) as conn:
        (events,) = conn.execute("SELECT count(*) FROM handoff_handoffevent").fetchall()
        assert events[0] > 0
        for statement, said in REFUSED.items():
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match=said):
                conn.execute(statement)
    verified = StringIO()
    call_command("audit_verify", stdout=verified)
    assert "audit log verified" in verified.getvalue()


def test_db_roles_prints_the_grants_and_names_a_role_that_can_get_past_the_guards(
    role: str,
) -> None:
    out = StringIO()
    call_command("db_roles", role, stdout=out)
    sql = out.getvalue()
    assert (
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "public" TO "{role}";' in sql
    )
    assert (
        f'REVOKE UPDATE, DELETE ON handoff_handoffevent, handoff_auditcheckpoint FROM "{role}";'
        in sql
    )
    # Before the grants, the role lacks what the console needs.
    with pytest.raises(CommandError, match="lacks grants"):
        call_command("db_roles", role, "--check", stdout=StringIO(), stderr=StringIO())
    # The tests' own role owns the tables and is a superuser: exactly what the console must not be.
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("db_roles", "postgres", "--check", stdout=StringIO(), stderr=err)
    assert "postgres is a superuser" in err.getvalue()
    assert "postgres owns handoff_handoffevent" in err.getvalue()
    with pytest.raises(CommandError, match="No role 'nobody_here'"):
        call_command("db_roles", "nobody_here", "--apply", stdout=StringIO())
    with pytest.raises(CommandError, match="lower-case letters"):
        call_command("db_roles", 'x"; DROP TABLE handoff_handoff; --', stdout=StringIO())
