"""The live queue's per-tier counts as a ledger kept by triggers (handoff.models.queue).

Each case that enters the queue, leaves it, or changes tier while waiting appends a row of +1 or
-1 for its tier, in the same transaction, from a trigger on the case table: every writer is
covered (services, bulk updates, the aging task) without any of them knowing. The ledger starts
with the cases waiting when the migration runs.
"""

from typing import Any

from django.db import migrations, models

POSTGRESQL = [
    """
    CREATE FUNCTION handoff_queue_delta() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' AND OLD.status = 'queued' THEN
            INSERT INTO handoff_queuedelta (tier_rank, delta) VALUES (OLD.tier_rank, -1);
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.status = 'queued' THEN
            INSERT INTO handoff_queuedelta (tier_rank, delta) VALUES (NEW.tier_rank, 1);
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER handoff_queue_delta_insert AFTER INSERT ON handoff_handoff
    FOR EACH ROW WHEN (NEW.status = 'queued') EXECUTE FUNCTION handoff_queue_delta()
    """,
    """
    CREATE TRIGGER handoff_queue_delta_delete AFTER DELETE ON handoff_handoff
    FOR EACH ROW WHEN (OLD.status = 'queued') EXECUTE FUNCTION handoff_queue_delta()
    """,
    """
    CREATE TRIGGER handoff_queue_delta_update AFTER UPDATE OF status, tier ON handoff_handoff
    FOR EACH ROW WHEN (
        (OLD.status = 'queued' OR NEW.status = 'queued')
        AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.tier_rank IS DISTINCT FROM NEW.tier_rank)
    ) EXECUTE FUNCTION handoff_queue_delta()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS handoff_queue_delta_update ON handoff_handoff",
    "DROP TRIGGER IF EXISTS handoff_queue_delta_delete ON handoff_handoff",
    "DROP TRIGGER IF EXISTS handoff_queue_delta_insert ON handoff_handoff",
    "DROP FUNCTION IF EXISTS handoff_queue_delta()",
]

SQLITE = [
    """
    CREATE TRIGGER handoff_queue_delta_insert AFTER INSERT ON handoff_handoff
    WHEN NEW.status = 'queued' BEGIN
        INSERT INTO handoff_queuedelta (tier_rank, delta) VALUES (NEW.tier_rank, 1);
    END
    """,
    """
    CREATE TRIGGER handoff_queue_delta_delete AFTER DELETE ON handoff_handoff
    WHEN OLD.status = 'queued' BEGIN
        INSERT INTO handoff_queuedelta (tier_rank, delta) VALUES (OLD.tier_rank, -1);
    END
    """,
    """
    CREATE TRIGGER handoff_queue_delta_update AFTER UPDATE OF status, tier ON handoff_handoff
    WHEN (OLD.status = 'queued' OR NEW.status = 'queued')
        AND (OLD.status IS NOT NEW.status OR OLD.tier_rank IS NOT NEW.tier_rank) BEGIN
        INSERT INTO handoff_queuedelta (tier_rank, delta)
            SELECT OLD.tier_rank, -1 WHERE OLD.status = 'queued';
        INSERT INTO handoff_queuedelta (tier_rank, delta)
            SELECT NEW.tier_rank, 1 WHERE NEW.status = 'queued';
    END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS handoff_queue_delta_update",
    "DROP TRIGGER IF EXISTS handoff_queue_delta_delete",
    "DROP TRIGGER IF EXISTS handoff_queue_delta_insert",
]

START = """
    INSERT INTO handoff_queuedelta (tier_rank, delta)
    SELECT tier_rank, COUNT(*) FROM handoff_handoff WHERE status = 'queued' GROUP BY tier_rank
"""


def _run(schema_editor: Any, statements: list[str]) -> None:
    for sql in statements:
        schema_editor.execute(sql)


def create(apps: Any, schema_editor: Any) -> None:
    postgresql = schema_editor.connection.vendor == "postgresql"
    _run(schema_editor, POSTGRESQL if postgresql else SQLITE)
    schema_editor.execute(START)


def drop(apps: Any, schema_editor: Any) -> None:
    postgresql = schema_editor.connection.vendor == "postgresql"
    _run(schema_editor, POSTGRESQL_DROP if postgresql else SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [("handoff", "0016_case_contact_status")]

    operations = [
        migrations.CreateModel(
            name="QueueDelta",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("tier_rank", models.SmallIntegerField()),
                ("delta", models.IntegerField()),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("tier_rank__gte", 1), ("tier_rank__lte", 4)),
                        name="queuedelta_tier_rank_known",
                    )
                ],
            },
        ),
        migrations.RunPython(create, drop),
    ]
