"""Platform accounts and their signing secrets."""

import copy
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from handoff import runtime
from handoff.models import Platform, PlatformSecret
from handoff.signing import new_secret

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlatformSecrets:
    """Secrets in the clear, returned once to be handed to the platform; stored encrypted."""

    slug: str
    inbound_secret: str
    outbound_secret: str


@transaction.atomic
def platform_create(*, slug: str, name: str, callback_url: str = "") -> PlatformSecrets:
    inbound = new_secret()
    outbound = new_secret()
    platform = Platform(slug=slug, name=name, callback_url=callback_url, outbound_secret=outbound)
    platform.full_clean()
    platform.save()
    PlatformSecret.objects.create(platform=platform, secret=inbound)
    return PlatformSecrets(slug=slug, inbound_secret=inbound, outbound_secret=outbound)


@transaction.atomic
def platform_rotate_inbound(*, platform: Platform, grace: timedelta) -> str:
    """Add a new inbound secret; the current ones keep verifying for `grace`, then expire."""
    now = timezone.now()
    PlatformSecret.objects.filter(platform=platform, expires_at__isnull=True).update(
        expires_at=now + grace
    )
    _changed()  # an UPDATE sends no post_save
    secret = new_secret()
    PlatformSecret.objects.create(platform=platform, secret=secret, created_at=now)
    return secret


@transaction.atomic
def platform_rotate_outbound(*, platform: Platform) -> str:
    """Replace the callback-signing secret. Callbacks sign with the new one from now on."""
    secret = new_secret()
    platform.outbound_secret = secret
    platform.save(update_fields=["outbound_secret", "updated_at"])
    return secret


# --- A platform's request: who it is and which secrets verify it, cached per process ---------

# Every change to a platform or its inbound secrets moves this sequence (a key in Redis shared
# by every process, a counter in memory when embedded): a process serves a platform from its
# cache only while the sequence still reads what it read when it loaded the platform. A write
# that bypasses both signals and services (a raw UPDATE) is picked up within the maximum age.
VERSION_KEY = "platforms:version"
CACHE_MAX_AGE_S = 60.0


@dataclass(frozen=True)
class _Cached:
    version: int
    loaded_at: float
    platform: Platform | None
    secrets: tuple[tuple[str, datetime | None], ...]  # (secret, expires_at)


_cache: dict[str, _Cached] = {}
_cache_lock = threading.Lock()


def platforms_changed() -> None:
    """Every process's cached platforms are stale from now on."""
    try:
        runtime.sequence(VERSION_KEY).take(1)
    except Exception as exc:  # Redis down: each process stops trusting its cache (see below)
        logger.warning("platform version not moved (%s)", type(exc).__name__)


def _changed(**kwargs: Any) -> None:
    # At once, for the writing transaction's own reads (and for tests, whose transactions
    # never commit); after commit again, since another request may have loaded the old rows
    # in between.
    platforms_changed()
    transaction.on_commit(platforms_changed)


for _model in (Platform, PlatformSecret):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"platforms.changed.{_model.__name__}")
    post_delete.connect(
        _changed, sender=_model, dispatch_uid=f"platforms.deleted.{_model.__name__}"
    )


def _load(slug: str) -> tuple[Platform | None, tuple[tuple[str, datetime | None], ...]]:
    """An active platform and all its inbound secrets with their expiry, in one query."""
    rows = list(
        PlatformSecret.objects.filter(platform__slug=slug, platform__active=True)
        .select_related("platform")
        .defer("platform__outbound_secret")  # signs callbacks; not needed to take a request
    )
    return (rows[0].platform if rows else None), tuple((r.secret, r.expires_at) for r in rows)


def platform_for_request(slug: str) -> tuple[Platform | None, list[str]]:
    """The active platform called `slug` and its inbound secrets that have not expired. A
    platform with none cannot verify anything and is treated as unknown. Each caller gets its
    own copy of the platform, so nothing a request does to it reaches another."""
    try:
        version: int | None = runtime.sequence(VERSION_KEY).take(0)
    except Exception:
        version = None  # cannot tell whether the cache is current: read the database
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(slug)
    if (
        cached is None
        or version is None
        or cached.version != version
        or now - cached.loaded_at > CACHE_MAX_AGE_S
    ):
        platform, secrets = _load(slug)
        cached = _Cached(version or 0, now, platform, secrets)
        if version is not None:
            with _cache_lock:
                _cache[slug] = cached
    at = timezone.now()
    current = [secret for secret, expires in cached.secrets if expires is None or expires > at]
    if cached.platform is None or not current:
        return None, []
    return copy.copy(cached.platform), current
