"""The platform and its secrets are cached per process: a change made anywhere is seen on the
very next request, an expired secret stops verifying at its expiry, and a cache that cannot be
checked is not trusted."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from handoff import platforms, runtime
from handoff.models import Platform
from handoff.platforms import platform_rotate_inbound
from tests.support.factories import handoff_body, post_signed

pytestmark = pytest.mark.django_db


def _post(p: Any, secret: str) -> int:
    body = handoff_body()
    return int(post_signed(Client(), p.url(), secret=secret, body=body).status_code)


def test_a_deactivated_platform_is_refused_on_the_next_request(platform_factory: Any) -> None:
    p = platform_factory()
    assert _post(p, p.inbound_secret) == 202  # now cached
    p.platform.active = False
    p.platform.save(update_fields=["active"])
    assert _post(p, p.inbound_secret) == 401


def test_a_rotated_secret_verifies_at_once_and_the_old_one_until_it_expires(
    platform_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = platform_factory()
    assert _post(p, p.inbound_secret) == 202
    new = platform_rotate_inbound(platform=p.platform, grace=timedelta(hours=1))
    assert _post(p, new) == 202
    assert _post(p, p.inbound_secret) == 202  # in its grace period; both now cached
    # Two hours on, by the cache's clock only (the signature's ±5 minutes use the real one):
    # the expiry is checked on every request, not when the secrets were loaded.
    later = timezone.now() + timedelta(hours=2)

    class Clock:
        @staticmethod
        def now() -> Any:
            return later

    monkeypatch.setattr(platforms, "timezone", Clock)
    assert _post(p, p.inbound_secret) == 401
    assert _post(p, new) == 202


def test_a_write_that_bypasses_the_services_is_seen_within_the_maximum_age(
    platform_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = platform_factory()
    assert _post(p, p.inbound_secret) == 202
    Platform.objects.filter(pk=p.platform.pk).update(active=False)  # no signal
    assert _post(p, p.inbound_secret) == 202  # still the cached platform
    monkeypatch.setattr(platforms, "CACHE_MAX_AGE_S", 0.0)
    assert _post(p, p.inbound_secret) == 401


def test_without_the_version_the_database_answers(
    platform_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = platform_factory()
    assert _post(p, p.inbound_secret) == 202

    class Down:
        def take(self, count: int) -> int:
            raise ConnectionError("redis down")

    monkeypatch.setattr(runtime, "sequence", lambda name: Down())
    Platform.objects.filter(pk=p.platform.pk).update(active=False)  # no signal, no version
    assert _post(p, p.inbound_secret) == 401


def test_each_request_gets_its_own_copy_of_the_platform(platform_factory: Any) -> None:
    p = platform_factory()
    assert _post(p, p.inbound_secret) == 202
    first, _ = platforms.platform_for_request(p.slug)
    second, _ = platforms.platform_for_request(p.slug)
    assert first is not None and second is not None
    assert first is not second and first.pk == second.pk == p.platform.pk
