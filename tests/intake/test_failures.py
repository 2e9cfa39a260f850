"""Storage and Redis failures: a 503 or a degraded path, never a 500 or a half-written case."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client

from handoff.redis import redis_client
from tests.support.db import db_counts
from tests.support.factories import handoff_body, post_signed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres_unreachable() -> Iterator[None]:
    """Point the connection at a port where nothing listens: what a stopped server looks like."""
    saved = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(_free_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = saved


@pytest.mark.django_db(transaction=True)
def test_postgres_down_is_503_with_retry_after(platform_factory) -> None:
    p = platform_factory()
    before = db_counts()
    client = Client(raise_request_exception=False)

    with postgres_unreachable():
        response = post_signed(client, p.url(), secret=p.inbound_secret, body=handoff_body())
        ready = client.get("/readyz")
        alive = client.get("/healthz")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert int(response["Retry-After"]) >= 1
    assert "123 Main St" not in response.content.decode()
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "unavailable"
    assert alive.status_code == 200
    assert db_counts() == before
    # And once it is back, the platform's retry is accepted.
    assert (
        post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body()).status_code
        == 202
    )


@pytest.mark.django_db
def test_readyz_checks_redis(client: Client, settings, monkeypatch) -> None:
    assert client.get("/readyz").json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok"},
    }
    redis_client.cache_clear()
    settings.REDIS_URL = f"redis://127.0.0.1:{_free_port()}/1"
    try:
        response = client.get("/readyz")
    finally:
        redis_client.cache_clear()
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "unavailable"


@pytest.mark.django_db
def test_redis_down_still_accepts_the_handoff(
    client: Client, platform_factory, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    """The rate limiter and the dashboard push degrade; the case is stored all the same."""
    p = platform_factory()
    redis_client.cache_clear()
    dead = f"redis://127.0.0.1:{_free_port()}/1"
    settings.REDIS_URL = dead
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [dead]},
        }
    }
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_signed(client, p.url(), secret=p.inbound_secret, body=handoff_body())
    finally:
        redis_client.cache_clear()
    assert response.status_code == 202
