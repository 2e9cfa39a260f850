"""Encryption at rest for personal data and secrets.

Values are stored as ``<key id>$<Fernet token>``. New values are written with the first key of
FIELD_ENCRYPTION_KEYS; every configured key is tried by its id on read, so keys can rotate: add
the new key first, re-encrypt what the others hold (``manage.py encryption_rotate``, which
calls `field_rotate` for each of `encrypted_fields()`), then drop the old key.
"""

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import connections, models, router, transaction
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


def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    # Tests that change the keys (or the secret the embedded key comes from) get a fresh ring.
    if setting in {"FIELD_ENCRYPTION_KEYS", "SECRET_KEY"}:
        _keyring.cache_clear()


setting_changed.connect(_settings_changed, dispatch_uid="handoff.crypto.keyring")


def primary_key_id() -> str:
    """The id of the key new values are written with."""
    return _keyring()[0]


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


ENCRYPTED_FIELD_TYPES = (EncryptedTextField, EncryptedJSONField)


def encrypted_fields() -> "list[tuple[type[models.Model], models.Field[Any, Any]]]":
    """Every encrypted column of every installed model, found by its field's type: a new
    encrypted field is rotated, checked and erased without being listed anywhere."""
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, ENCRYPTED_FIELD_TYPES)
    ]


@dataclass(frozen=True)
class Rotated:
    rotated: int  # re-encrypted under the primary key
    unreadable: int  # under a key that is not configured, or not a value this module wrote


def field_rotate(
    model: type[models.Model], field: "models.Field[Any, Any]", *, batch: int
) -> Rotated:
    """Re-encrypt under the primary key every value of one column that another key encrypted.

    Only rows whose stored key id is not the primary's are read (by the stored prefix), `batch`
    at a time, each batch in its own transaction: stopped at any point, a second run carries on
    where the first ended, and a run with nothing left to do reads one empty batch. Works on the
    raw column, so nothing else of the row (``auto_now`` times, versions) moves; a value changed
    since it was read is left for the next run rather than overwritten."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    prefix = primary_key_id() + SEPARATOR
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    table, column = quote(model._meta.db_table), quote(field.column)
    pk = quote(model._meta.pk.column)
    # Names are quoted by the backend, values bound; the prefix's length is an int.
    select = f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL"  # noqa: S608
    select += f" AND substr({column}, 1, {len(prefix)}) <> %s"
    update = f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s"  # noqa: S608
    rotated = unreadable = 0
    last: Any = None
    while True:
        after = "" if last is None else f" AND {pk} > %s"
        params: list[Any] = [prefix, *([] if last is None else [last]), batch]
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(f"{select}{after} ORDER BY {pk} LIMIT %s", params)
            rows = cursor.fetchall()
            for key, stored in rows:
                try:
                    value = decrypt_text(stored)
                except DecryptionError:
                    unreadable += 1
                    continue
                cursor.execute(update, [encrypt_text(value), key, stored])
                rotated += cursor.rowcount
        if len(rows) < batch:
            return Rotated(rotated=rotated, unreadable=unreadable)
        last = rows[-1][0]
