import pytest
from django.conf import settings

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


@pytest.fixture
def platform_factory(db: None) -> PlatformFactory:
    return PlatformFactory()
