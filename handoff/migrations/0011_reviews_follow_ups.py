# Supervisors' reviews (handoff.models.reviews) and the events of reviews and follow-ups.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

import handoff.crypto

# A review is a sign-off: PostgreSQL refuses to change one, as for the event log (a purged case takes its reviews with it).
CREATE = """
CREATE OR REPLACE FUNCTION handoff_review_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'handoff_review is append-only (%% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER handoff_review_append_only
    BEFORE UPDATE ON handoff_review
    FOR EACH ROW EXECUTE FUNCTION handoff_review_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS handoff_review_append_only ON handoff_review;
DROP FUNCTION IF EXISTS handoff_review_append_only();
"""


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("handoff", "0010_supervision"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Review",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                ("comment", handoff.crypto.EncryptedTextField()),
                ("sign_off", models.BooleanField(default=False)),
                (
                    "handoff",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reviews",
                        to="handoff.handoff",
                    ),
                ),
                (
                    "supervisor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["at", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("sign_off", True)),
                        fields=("handoff",),
                        name="review_one_sign_off",
                    )
                ],
            },
        ),
        migrations.RunPython(create, drop),
        migrations.AlterField(
            model_name="handoffevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("handoff", "0008_handoff_autovacuum"),
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
                    ("reviewed", "Reviewed by supervisor"),
                    ("review_commented", "Review comment added"),
                    ("follow_up_taken", "Follow-up taken from the floor"),
                    ("follow_up_not_reached", "Follow-up: not reached"),
                    ("follow_up_done", "Follow-up done"),
                    ("closed", "Closed"),
                ],
                max_length=32,
            ),
        ),
    ]
