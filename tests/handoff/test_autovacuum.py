"""The live-queue table is kept vacuumed often enough for index-only counts (migration 0008)."""

import pytest
from django.db import connection

from handoff.models import Handoff

pytestmark = pytest.mark.django_db


def test_handoff_table_is_vacuumed_and_analyzed_after_one_percent_changes() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL storage setting")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE relname = %s", [Handoff._meta.db_table]
        )
        options = set(cursor.fetchone()[0] or [])
    assert {
        "autovacuum_vacuum_scale_factor=0.01",
        "autovacuum_vacuum_insert_scale_factor=0.01",
        "autovacuum_analyze_scale_factor=0.01",
    } <= options
