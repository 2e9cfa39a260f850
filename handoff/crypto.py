"""Encryption at rest for personal data and secrets.

Values are stored as ``<key id>$<Fernet token>``. New values are written with the first key of
FIELD_ENCRYPTION_KEYS; every configured key is tried by its id on read, so keys can rotate: add
the new key first, re-save rows (``manage.py encryption_rotate``), then drop the old key.
"""

import base64
import hashlib
import json
from functools import cache
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Expression

SEPARATOR = "$"

if TYPE_CHECKING:
    _TextBase = models.TextField[Any, Any]
else:
    _TextBase = models.TextField


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


@cache
def _keyring() -> tuple[str, dict[str, Fernet]]:
    pairs: list[tuple[str, str]] = []
    for entry in settings.FIELD_ENCRYPTION_KEYS:
        kid, sep, key = entry.partition(":")
        if not sep or not kid or SEPARATOR in kid:
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS entries must look like 'kid:key'.")
        pairs.append((kid, key))
    if not pairs:
        # Embedded default only (settings refuses this in production): derive from SECRET_KEY.
        digest = hashlib.sha256(
            b"handoff-field-encryption:" + settings.SECRET_KEY.encode()
        ).digest()
        pairs.append(("embedded", base64.urlsafe_b64encode(digest).decode()))
    try:
        keys = {kid: Fernet(key) for kid, key in pairs}
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS: each key must be 32 url-safe base64-encoded bytes."
        ) from exc
    return pairs[0][0], keys


def generate_key() -> str:
    return Fernet.generate_key().decode()


def encrypt_text(value: str) -> str:
    primary, keys = _keyring()
    return f"{primary}{SEPARATOR}{keys[primary].encrypt(value.encode()).decode()}"


def decrypt_text(stored: str) -> str:
    kid, sep, token = stored.partition(SEPARATOR)
    _, keys = _keyring()
    if not sep or kid not in keys:
        raise DecryptionError(f"no key with id {kid!r}")
    try:
        return keys[kid].decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError(f"value does not decrypt with key {kid!r}") from exc


def key_id_of(stored: str) -> str:
    return stored.partition(SEPARATOR)[0]


class EncryptedTextField(_TextBase):
    """A text column whose value is encrypted before it reaches the database."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt_text(str(value))

    def from_db_value(
        self, value: str | None, expression: Expression, connection: BaseDatabaseWrapper
    ) -> str | None:
        return None if value is None else decrypt_text(value)


class EncryptedJSONField(_TextBase):
    """JSON kept as encrypted text: nothing of it can be queried, and nothing of it leaks."""

    if TYPE_CHECKING:
        _pyi_private_set_type: Any
        _pyi_private_get_type: Any

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return encrypt_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def from_db_value(
        self, value: str | None, expression: Expression, connection: BaseDatabaseWrapper
    ) -> Any:
        return None if value is None else json.loads(decrypt_text(value))

    def to_python(self, value: Any) -> Any:
        return value

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj))
