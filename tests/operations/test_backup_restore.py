"""docs/operations.md's backup and restore, run as written: pg_dump of the console's database,
pg_restore into a fresh one, and a case read back through the console from it, by its holder,
with the same SECRET_KEY and FIELD_ENCRYPTION_KEYS."""

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from django.db import connection
from django.test import Client

from handoff.queue.services import handoff_claim
from tests.support.factories import handoff_body, post_signed
from tests.support.servers import daphne
from tests.support.staff import make_staff, session_cookie

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHRASE = "the lighthouse keeper and the blue bicycle"
PHONE = "+16145558264"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (Debian's postgresql-client has it)")
    return found


def _pg_env() -> dict[str, str]:
    """The test database's server, as libpq's variables (what docs/operations.md sets)."""
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(PGHOST=db["HOST"] or "127.0.0.1", PGPORT=str(db["PORT"] or 5432), PGUSER=db["USER"])
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _run(*args: str) -> str:
    done = subprocess.run(list(args), env=_pg_env(), capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args[0]}: {done.stderr}"
    return done.stdout


@contextmanager
def fresh_database(name: str) -> Iterator[str]:
    _run(_tool("dropdb"), "--if-exists", name)
    _run(_tool("createdb"), name)
    try:
        yield name
    finally:
        _run(_tool("dropdb"), "--if-exists", "--force", name)


def test_a_restored_dump_reads_a_case_back_through_the_console(
    platform_factory, tmp_path: Path
) -> None:
    p = platform_factory()
    casey = make_staff("casey")
    cookie = session_cookie(casey)
    body = handoff_body()
    body["contact"]["phone"] = PHONE
    body["transcript"][0]["text"] = f"I keep thinking about {PHRASE}."
    posted = post_signed(Client(), p.url(), secret=p.inbound_secret, body=body)
    assert posted.status_code == 202
    case_id = posted.json()["id"]
    handoff_claim(handoff_id=case_id, counselor=casey)
    source = connection.settings_dict["NAME"]
    dump = tmp_path / "handoff.dump"

    # The commands of docs/operations.md, "Backup and restore".
    _run(_tool("pg_dump"), "--format=custom", f"--file={dump}", source)
    # The dump holds ciphertext: without the keys kept beside it, it reads as noise.
    as_sql = _run(_tool("pg_restore"), "--file=-", str(dump))
    assert "INSERT" in as_sql or "COPY" in as_sql
    assert PHRASE not in as_sql and PHONE not in as_sql

    with fresh_database(f"{source}_restored") as restored:
        _run(
            _tool("pg_restore"),
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={restored}",
            str(dump),
        )
        # A console started on the restored database, with the same SECRET_KEY and
        # FIELD_ENCRYPTION_KEYS (the test settings'): the holder's session is in the dump too.
        with daphne(database_name=restored) as base:
            page = httpx.get(f"{base}/cases/{case_id}/", cookies={"sessionid": cookie}, timeout=10)
            queue = httpx.get(f"{base}/", cookies={"sessionid": cookie}, timeout=10)
    assert page.status_code == 200
    assert PHRASE in page.text
    assert f"tel:{PHONE}" in page.text
    assert queue.status_code == 200 and case_id in queue.text
