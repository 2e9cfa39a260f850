"""Hash chains on the event log, checkpoints, and guards on both tables for both databases.

Existing events are chained case by case in the order they happened (time, then id), with the
key configured when this runs; their chain heads are recorded, and the first checkpoint (the
checkpoint job's next run) signs them.
"""

from typing import Any

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from handoff import chain

BATCH = 1000


def _chain_existing(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    event_model = apps.get_model("handoff", "HandoffEvent")
    head_model = apps.get_model("handoff", "EventChainHead")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        # The owner running migrations, once: the rows gain their links.
        schema_editor.execute(
            "ALTER TABLE handoff_handoffevent DISABLE TRIGGER handoff_event_append_only"
        )
    heads: list[Any] = []
    batch: list[Any] = []
    current, seq, prev = None, 0, chain.GENESIS
    for event in event_model.objects.order_by("handoff_id", "at", "id").iterator(chunk_size=BATCH):
        if event.handoff_id != current:
            if current is not None:
                heads.append(head_model(chain_id=current, seq=seq, hash=prev))
            current, seq, prev = event.handoff_id, 0, chain.GENESIS
        seq += 1
        event.seq, event.prev_hash = seq, prev
        event.hash = chain.sign(
            chain.event_body(
                prev_hash=prev,
                chain=event.handoff_id,
                seq=seq,
                kind=event.kind,
                at=event.at,
                actor_id=event.actor_id,
                platform_id=event.platform_id,
                data=event.data,
            )
        )
        prev = event.hash
        batch.append(event)
        if len(batch) >= BATCH:
            event_model.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])
            batch = []
    if batch:
        event_model.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])
    if current is not None:
        heads.append(head_model(chain_id=current, seq=seq, hash=prev))
    head_model.objects.bulk_create(heads, batch_size=BATCH)
    if postgres:
        # The ALTER TABLEs below need no deferred check left pending on the table.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(
            "ALTER TABLE handoff_handoffevent ENABLE TRIGGER handoff_event_append_only"
        )


# PostgreSQL: one function names the table and the refused operation; TRUNCATE is refused by a
# statement trigger (row triggers never see it), and the checkpoints get the same guards. ENABLE
# ALWAYS: they fire whatever session_replication_role says, so only the tables' owner (ALTER
# TABLE ... DISABLE TRIGGER) gets past them, and the console does not run as the owner
# (docs/audit.md, manage.py db_roles).
PG_GUARDS = """
CREATE OR REPLACE FUNCTION handoff_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%% is append-only (%% refused)', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER handoff_event_no_truncate
    BEFORE TRUNCATE ON handoff_handoffevent
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_event_append_only();
CREATE TRIGGER handoff_checkpoint_append_only
    BEFORE UPDATE OR DELETE ON handoff_auditcheckpoint
    FOR EACH ROW EXECUTE FUNCTION handoff_event_append_only();
CREATE TRIGGER handoff_checkpoint_no_truncate
    BEFORE TRUNCATE ON handoff_auditcheckpoint
    FOR EACH STATEMENT EXECUTE FUNCTION handoff_event_append_only();
ALTER TABLE handoff_handoffevent ENABLE ALWAYS TRIGGER handoff_event_append_only;
ALTER TABLE handoff_handoffevent ENABLE ALWAYS TRIGGER handoff_event_no_truncate;
ALTER TABLE handoff_auditcheckpoint ENABLE ALWAYS TRIGGER handoff_checkpoint_append_only;
ALTER TABLE handoff_auditcheckpoint ENABLE ALWAYS TRIGGER handoff_checkpoint_no_truncate;
"""
PG_GUARDS_DROP = """
ALTER TABLE handoff_handoffevent ENABLE TRIGGER handoff_event_append_only;
DROP TRIGGER IF EXISTS handoff_event_no_truncate ON handoff_handoffevent;
DROP TRIGGER IF EXISTS handoff_checkpoint_append_only ON handoff_auditcheckpoint;
DROP TRIGGER IF EXISTS handoff_checkpoint_no_truncate ON handoff_auditcheckpoint;
CREATE OR REPLACE FUNCTION handoff_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'handoff_handoffevent is append-only (%% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""

# SQLite (the embedded default) had no guard at all. SQLite has no TRUNCATE (a DELETE without
# WHERE fires these triggers too). A later migration that rebuilds either table on SQLite drops
# its triggers: audit_verify checks that they are there.
_SQLITE_TABLES = {
    "handoff_handoffevent": "handoff_event",
    "handoff_auditcheckpoint": "handoff_checkpoint",
}
SQLITE_GUARDS = [
    f"CREATE TRIGGER {prefix}_no_{op.lower()} BEFORE {op} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only ({op} refused)'); END"
    for table, prefix in _SQLITE_TABLES.items()
    for op in ("UPDATE", "DELETE")
]
SQLITE_GUARDS_DROP = [
    f"DROP TRIGGER IF EXISTS {prefix}_no_{op.lower()}"
    for prefix in _SQLITE_TABLES.values()
    for op in ("UPDATE", "DELETE")
]


def _guards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_GUARDS)
    elif vendor == "sqlite":
        for sql in SQLITE_GUARDS:
            schema_editor.execute(sql)


def _guards_drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_GUARDS_DROP)
    elif vendor == "sqlite":
        for sql in SQLITE_GUARDS_DROP:
            schema_editor.execute(sql)


def _unchain(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Going back: the link columns are dropped whole, nothing to undo row by row."""


class Migration(migrations.Migration):
    dependencies = [
        ("handoff", "0014_encrypt_clinical_text"),
        ("counselors", "0003_user_availability"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.PositiveIntegerField(unique=True)),
                ("at", models.DateTimeField()),
                ("heads", models.JSONField(default=dict)),
                ("prev_hash", models.CharField(blank=True, max_length=100)),
                ("hash", models.CharField(max_length=100)),
            ],
            options={"ordering": ["seq"]},
        ),
        migrations.CreateModel(
            name="EventChainHead",
            fields=[
                ("chain_id", models.UUIDField(primary_key=True, serialize=False)),
                ("seq", models.PositiveIntegerField(default=0)),
                ("hash", models.CharField(blank=True, max_length=100)),
                ("checkpointed_seq", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name="handoffevent",
            name="seq",
            field=models.PositiveIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="handoffevent",
            name="prev_hash",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="handoffevent",
            name="hash",
            field=models.CharField(default="", max_length=100),
            preserve_default=False,
        ),
        migrations.RunPython(_chain_existing, _unchain),
        migrations.AlterField(
            model_name="handoffevent",
            name="seq",
            field=models.PositiveIntegerField(),
        ),
        # The unique (handoff_id, seq) index below serves every lookup by case.
        migrations.AlterField(
            model_name="handoffevent",
            name="handoff_id",
            field=models.UUIDField(),
        ),
        migrations.AlterField(
            model_name="handoffevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("received", "Received"),
                    ("duplicate_delivery", "Duplicate delivery"),
                    ("messages_added", "Messages added"),
                    ("withdrawn", "Withdrawn"),
                    ("withdraw_after_claim", "Platform withdrew after claim"),
                    ("claimed", "Claimed"),
                    ("released", "Released"),
                    ("transferred", "Transferred"),
                    ("tier_changed", "Tier changed"),
                    ("target_breached", "Target time breached"),
                    ("summary_ready", "Summary ready"),
                    ("summary_failed", "Summary unavailable"),
                    ("viewed", "Viewed"),
                    ("viewed_personal", "Viewed personal data"),
                    ("exported", "Exported"),
                    ("access_refused", "Access refused"),
                    ("contact_attempt", "Contact attempt"),
                    ("note_added", "Note added"),
                    ("note_edited", "Note edited"),
                    ("assessment_recorded", "Risk assessment recorded"),
                    ("message_relayed", "Message relayed"),
                    ("mobile_crisis_requested", "Mobile crisis team requested"),
                    ("mobile_crisis_update", "Mobile crisis team update"),
                    ("emergency_call_recorded", "Emergency call recorded"),
                    ("emergency_confirmation", "Emergency contact confirmation"),
                    ("confirmation_overdue", "Emergency confirmation overdue"),
                    ("follow_up_due", "Follow-up due"),
                    ("amended", "Amended by supervisor"),
                    ("alert_acknowledged", "Alert acknowledged"),
                    ("help_requested", "Supervisor asked for"),
                    ("help_answered", "Supervisor answered"),
                    ("reviewed", "Reviewed by supervisor"),
                    ("review_commented", "Review comment added"),
                    ("follow_up_taken", "Follow-up taken from the floor"),
                    ("follow_up_not_reached", "Follow-up: not reached"),
                    ("follow_up_done", "Follow-up done"),
                    ("closed", "Closed"),
                    ("audit_read", "Audit read"),
                    ("erased", "Personal data erased"),
                ],
                max_length=32,
            ),
        ),
        migrations.AddIndex(
            model_name="handoffevent",
            index=models.Index(fields=["at", "id"], name="handoff_event_at"),
        ),
        migrations.AddIndex(
            model_name="handoffevent",
            index=models.Index(fields=["actor", "at"], name="handoff_event_actor_at"),
        ),
        migrations.AddConstraint(
            model_name="handoffevent",
            constraint=models.UniqueConstraint(
                fields=("handoff_id", "seq"), name="handoff_event_chain_seq"
            ),
        ),
        migrations.AddConstraint(
            model_name="handoffevent",
            constraint=models.CheckConstraint(
                condition=models.Q(("seq__gte", 1), models.Q(("hash", ""), _negated=True)),
                name="handoff_event_chained",
            ),
        ),
        migrations.AddIndex(
            model_name="eventchainhead",
            index=models.Index(
                condition=models.Q(("seq__gt", models.F("checkpointed_seq"))),
                fields=["chain_id"],
                name="event_chain_head_unsigned",
            ),
        ),
        # Last: on SQLite the operations above rebuild the table, which would drop its triggers.
        migrations.RunPython(_guards, _guards_drop),
    ]
