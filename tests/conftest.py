from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db.backends.postgresql.operations import DatabaseOperations

from handoff.audit.verify import PG_GUARDS
from tests.support import servers
from tests.support.factories import PlatformFactory


@pytest.fixture(scope="session", autouse=True)
def _server_logs(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every server a test starts writes its output to a file here (tests.support.servers)."""
    servers.LOG_DIR = tmp_path_factory.mktemp("server-logs")


@pytest.fixture(scope="session", autouse=True)
def _clean_test_redis() -> None:
    """Tests own the Redis database in REDIS_URL (db 1 by default): start it empty."""
    if settings.REDIS_URL:
        from handoff.redis import redis_client

        redis_client().flushdb()


@pytest.fixture(scope="session", autouse=True)
def _flush_past_the_event_log_guard() -> Iterator[None]:
    """Between transactional tests pytest-django empties every table with one TRUNCATE, which
    the event log's guards refuse (as they should anywhere else). The tests connect as the
    tables' owner, who may switch them off for that one transaction."""
    flush = DatabaseOperations.execute_sql_flush
    guards = [
        (table, name) for table, names in PG_GUARDS.items() for name in names if "truncate" in name
    ]

    def past_the_guard(self: DatabaseOperations, sql_list: list[str]) -> None:
        off = [f"ALTER TABLE {t} DISABLE TRIGGER {n}" for t, n in guards]
        on = [f"ALTER TABLE {t} ENABLE ALWAYS TRIGGER {n}" for t, n in guards]
        flush(self, [*off, *sql_list, *on])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "execute_sql_flush", past_the_guard)
        yield


@pytest.fixture
def platform_factory(db: None) -> PlatformFactory:
    return PlatformFactory()
