"""Keep the live-queue table vacuumed and analyzed often (PostgreSQL only).

The queue's counts and rows are read from the handoff_live_queue partial index. PostgreSQL answers
such reads from the index alone only for pages its visibility map marks all-visible, which VACUUM
maintains; by default autovacuum waits until a fifth of the table has changed, and a table that
keeps every case ever handed over grows large. At 1% the counts stay index-only scans as the table
grows (measured: 7 ms against 1.4 ms for 4,000 waiting cases).
"""

from typing import Any

from django.db import migrations

SETTINGS = (
    "autovacuum_vacuum_scale_factor",
    "autovacuum_vacuum_insert_scale_factor",
    "autovacuum_analyze_scale_factor",
)


def _table(apps: Any) -> str:
    return str(apps.get_model("handoff", "Handoff")._meta.db_table)


def tune(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    values = ", ".join(f"{name} = 0.01" for name in SETTINGS)
    schema_editor.execute(f'ALTER TABLE "{_table(apps)}" SET ({values})')


def untune(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'ALTER TABLE "{_table(apps)}" RESET ({", ".join(SETTINGS)})')


class Migration(migrations.Migration):
    dependencies = [("handoff", "0007_summary_sweep")]

    operations = [migrations.RunPython(tune, untune)]
