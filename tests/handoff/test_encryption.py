"""Personal data and secrets are ciphertext in the database's own columns."""

import pytest
from django.db import connection
from django.test import Client

from handoff.crypto import DecryptionError, decrypt_text, encrypt_text, key_id_of
from handoff.models import HandoffEvent
from tests.support.factories import handoff_body, post_signed

pytestmark = pytest.mark.django_db


def _raw_rows(sql: str, params: list) -> str:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return repr(cursor.fetchall())


def test_raw_columns_hold_no_plaintext(client: Client, platform_factory) -> None:
    p = platform_factory()
    body = handoff_body()
    body["transcript"][0]["text"] = "I keep my grandfather's revolver in the closet"
    body["metadata"] = {"note": "platform-side detail"}
    response = post_signed(client, p.url(), secret=p.inbound_secret, body=body)
    handoff_id = response.json()["id"]

    handoff_row = _raw_rows("SELECT * FROM handoff_handoff WHERE id = %s", [handoff_id])
    messages = _raw_rows(
        "SELECT text FROM handoff_transcriptmessage WHERE handoff_id = %s", [handoff_id]
    )
    events = _raw_rows("SELECT data FROM handoff_handoffevent WHERE handoff_id = %s", [handoff_id])
    callbacks = _raw_rows(
        "SELECT payload FROM handoff_callback WHERE handoff_id = %s", [handoff_id]
    )
    secrets = _raw_rows(
        "SELECT p.outbound_secret, s.secret FROM handoff_platform p "
        "JOIN handoff_platformsecret s ON s.platform_id = p.id WHERE p.id = %s",
        [p.platform.id],
    )

    everything = handoff_row + messages + events + callbacks
    for plaintext in (
        "revolver",
        "+16145550142",
        "6145550142",
        "123 Main St",
        "Main St",
        "43215",
        "Columbus",
        "Sam",
        "platform-side detail",
        "39.96",
    ):
        assert plaintext not in everything, plaintext
    assert p.inbound_secret not in secrets
    assert p.outbound_secret not in secrets
    assert "whsec_" not in secrets
    # Each encrypted value names its key, so keys can rotate.
    assert "'test$" in messages


def test_keys_rotate_by_id(settings) -> None:
    from handoff.crypto import _keyring

    old = "old:" + "A" * 43 + "="
    new = "new:" + "B" * 43 + "="
    settings.FIELD_ENCRYPTION_KEYS = [old]
    _keyring.cache_clear()
    try:
        stored = encrypt_text("call me back")
        assert key_id_of(stored) == "old"
        settings.FIELD_ENCRYPTION_KEYS = [new, old]
        _keyring.cache_clear()
        assert decrypt_text(stored) == "call me back"
        assert key_id_of(encrypt_text("x")) == "new"
        settings.FIELD_ENCRYPTION_KEYS = [new]
        _keyring.cache_clear()
        with pytest.raises(DecryptionError):
            decrypt_text(stored)
    finally:
        _keyring.cache_clear()


def test_event_log_refuses_update_and_delete(client: Client, platform_factory) -> None:
    from django.db import DatabaseError, transaction

    p = platform_factory()
    post_signed(client, p.url(), secret=p.inbound_secret, body=handoff_body())
    event = HandoffEvent.objects.latest("id")
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    for sql in (
        "UPDATE handoff_handoffevent SET kind = 'x' WHERE id = %s",
        "DELETE FROM handoff_handoffevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.id])
    assert HandoffEvent.objects.get(id=event.id).kind == "received"
