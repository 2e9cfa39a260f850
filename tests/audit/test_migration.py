"""On PostgreSQL too, a log written before the chains existed is chained by the migration (its
append-only trigger switched off for that by the owner running it) and verifies."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("handoff", "0013_review_queue_mark")]


def migrate(targets: list[tuple[str, str]] | None = None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


def test_the_migration_chains_an_existing_log() -> None:
    migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO handoff_handoffevent (handoff_id, kind, at, data) "
                "VALUES (%s, %s, %s, %s)",
                [
                    (
                        "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa",
                        "viewed",
                        "2025-03-10 10:00:05+00",
                        '{"door": "case-live"}',
                    ),
                    (
                        "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa",
                        "received",
                        "2025-03-10 10:00:00+00",
                        '{"messages": 3, "score": 2.0}',
                    ),
                    (
                        "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb",
                        "received",
                        "2025-03-11 09:00+00",
                        "{}",
                    ),
                ],
            )
    finally:
        migrate()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, seq FROM handoff_handoffevent "
            "WHERE handoff_id = 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa' ORDER BY seq"
        )
        assert cursor.fetchall() == [("received", 1), ("viewed", 2)]
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "audit log verified: 3 event(s) in 2 chain(s), 0 checkpoint(s)" in out.getvalue()
