"""The hash chains that make the event log tamper-evident: what is hashed, and with which key.

Each case's events form a chain of their own (the console's own events, not about one case, form
one more under CONSOLE_CHAIN): an event's hash is an HMAC over the hash before it and the
event's canonical encoding (case, place in the chain, kind, time, actor, platform, data). An
edit, a deletion or a reordering breaks the chain at that event; without the key nobody can
compute a hash that verifies, so a row written straight into the database (a forged or
backdated event) does not verify either. Checkpoints sign the chains' heads from time to time,
so a chain cut short, or deleted whole, is caught up to the last checkpoint.

The key comes from AUDIT_CHAIN_KEYS ("kid:secret", newest first: new links use the first, any
verifies), or, unset, is derived from SECRET_KEY and SECRET_KEY_FALLBACKS, so Django's own key
rotation keeps older links verifiable. Each stored hash starts with its key's id.
"""

import functools
import hmac
import json
import math
import uuid
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.encoding import force_bytes

# The chain of the console's own events (who read the audit, ...), which belong to no case.
CONSOLE_CHAIN = uuid.UUID(int=0)
# What the first link of a chain points back to.
GENESIS = ""
# Bumped if the encoding below ever changes; stored links keep verifying with theirs.
VERSION = 1
SEPARATOR = ":"
MIN_SECRET_LENGTH = 32


@functools.cache
def _keyring() -> tuple[str, dict[str, bytes]]:
    """(the id of the key new links use, every key by id)."""
    pairs: list[tuple[str, bytes]] = []
    for entry in settings.AUDIT_CHAIN_KEYS:
        kid, sep, secret = entry.partition(SEPARATOR)
        if not sep or not kid.isalnum() or len(secret) < MIN_SECRET_LENGTH:
            raise ImproperlyConfigured(
                "AUDIT_CHAIN_KEYS entries must look like 'kid:secret' (kid letters and digits, "
                f"secret at least {MIN_SECRET_LENGTH} characters)."
            )
        pairs.append((kid, secret.encode()))
    if not pairs:
        for secret_key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
            key = hmac.new(force_bytes(secret_key), b"handoff.audit-chain.key", "sha256").digest()
            # The id names the key without giving it away, so a rotated SECRET_KEY's links
            # still find theirs among the fallbacks.
            kid = "sk" + hmac.new(key, b"key id", "sha256").hexdigest()[:8]
            pairs.append((kid, key))
    return pairs[0][0], dict(pairs)


@receiver(setting_changed)
def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in {"AUDIT_CHAIN_KEYS", "SECRET_KEY", "SECRET_KEY_FALLBACKS"}:
        _keyring.cache_clear()


class UnknownKey(Exception):
    """A stored hash names a key that is not configured."""

    def __init__(self, kid: str) -> None:
        super().__init__(kid)
        self.kid = kid


def _sign(body: str, *, kid: str | None = None) -> str:
    primary, keys = _keyring()
    kid = kid or primary
    if kid not in keys:
        raise UnknownKey(kid)
    digest = hmac.new(keys[kid], body.encode(), "sha256").hexdigest()
    return f"{kid}{SEPARATOR}{digest}"


def verifies(stored: str, body: str) -> bool:
    """Whether `stored` is the hash of `body` under the key it names (UnknownKey if none)."""
    kid, sep, _ = stored.partition(SEPARATOR)
    if not sep:
        return False
    return hmac.compare_digest(_sign(body, kid=kid), stored)


def sign(body: str) -> str:
    return _sign(body)


# --- canonical encodings ---------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """JSON values as both databases give them back: a float with no fraction is the integer
    (PostgreSQL's jsonb keeps numbers as decimals), keys are strings."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("event data holds no NaN or infinity")
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def normalized(data: dict[str, Any]) -> dict[str, Any]:
    """Event data exactly as it will be read back from either database."""
    result = _plain(json.loads(json.dumps(data, allow_nan=False)))
    assert isinstance(result, dict)
    return result


def _encode(value: Any) -> str:
    return json.dumps(
        _plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


def _time(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def event_body(
    *,
    prev_hash: str,
    chain: uuid.UUID | str,
    seq: int,
    kind: str,
    at: datetime,
    actor_id: int | None,
    platform_id: int | None,
    data: Any,
) -> str:
    fields = [VERSION, str(chain), seq, kind, _time(at), actor_id, platform_id, data]
    return f"{prev_hash}\n{_encode(fields)}"


def checkpoint_body(*, prev_hash: str, seq: int, at: datetime, heads: dict[str, list[Any]]) -> str:
    fields = [VERSION, "checkpoint", seq, _time(at), sorted([k, *v] for k, v in heads.items())]
    return f"{prev_hash}\n{_encode(fields)}"
