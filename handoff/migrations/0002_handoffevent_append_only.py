from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

CREATE = """
CREATE OR REPLACE FUNCTION handoff_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'handoff_handoffevent is append-only (%% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER handoff_event_append_only
    BEFORE UPDATE OR DELETE ON handoff_handoffevent
    FOR EACH ROW EXECUTE FUNCTION handoff_event_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS handoff_event_append_only ON handoff_handoffevent;
DROP FUNCTION IF EXISTS handoff_event_append_only();
"""


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # The embedded SQLite default relies on the model's own refusal; PostgreSQL enforces it.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("handoff", "0001_intake_models")]

    operations = [migrations.RunPython(create, drop)]
