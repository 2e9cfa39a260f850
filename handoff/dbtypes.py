"""Reading PostgreSQL timestamps that Python cannot hold.

PostgreSQL stores `timestamptz` from 4713 BC to 294276 AD, and `infinity`; Python's `datetime`
holds the years 1 to 9999. psycopg raises `DataError` for anything outside ("timestamp too large
(after year 10K)", "timestamp too small (before year 1)"), so a single row with such a value
(written by hand, by an old bug, by a migration) made every query that reads it fail: the
dashboard for every counselor, the case page, the periodic jobs.

The console's connections load such a value as the nearest time Python can use, a day inside
its range so that showing it in any time zone still works. The intake never accepts such dates
(handoff/intake/schema.py bounds them), so a time at either edge means "unreadable": the case
page says so (`is_unreadable`).
"""

from datetime import UTC, datetime
from typing import Any

import psycopg
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from psycopg.postgres import types
from psycopg.pq import Format

# The nearest readable times. A day inside datetime's range: local time in any zone exists.
READABLE_MIN = datetime(1, 1, 2, tzinfo=UTC)
READABLE_MAX = datetime(9999, 12, 30, tzinfo=UTC)


def is_unreadable(value: datetime | None) -> bool:
    """True for a time the database held outside what Python can read (loaded at an edge)."""
    return value is not None and not READABLE_MIN < value < READABLE_MAX


def _edge(raw: bytes) -> datetime | None:
    """The nearest readable time for an out-of-range value in PostgreSQL's ISO text form
    ("10000-01-02 00:00:00+00", "0001-12-31 23:00:00+00 BC", "infinity"), or None when the
    value is not out of range (any other error is not this module's to hide)."""
    if raw == b"-infinity" or raw.endswith(b" BC"):
        return READABLE_MIN
    if raw == b"infinity" or len(raw.split(b"-", 1)[0]) > 4:
        return READABLE_MAX
    return None


def _clamping_loader(base: Any) -> type:
    """A subclass of Django's own timestamptz loader (so its time zone handling stays) that
    answers an out-of-range value with the nearest readable time instead of raising."""

    class ClampingTimestamptzLoader(base):  # type: ignore[misc]
        def load(self, data: Any) -> datetime:
            try:
                value: datetime = super().load(data)
            except psycopg.DataError:
                edge = _edge(bytes(data))
                if edge is None:
                    raise
                return edge
            if value < READABLE_MIN:
                return READABLE_MIN
            if value > READABLE_MAX:
                return READABLE_MAX
            return value

    return ClampingTimestamptzLoader


def register_clamping_loader(connection: BaseDatabaseWrapper) -> None:
    """Load this connection's timestamptz values through the clamping loader."""
    if connection.vendor != "postgresql" or connection.connection is None:
        return
    adapters = connection.connection.adapters
    current = adapters.get_loader(types["timestamptz"].oid, Format.TEXT)
    if current is None or getattr(current, "clamps", False):
        return
    loader = _clamping_loader(current)
    loader.clamps = True  # type: ignore[attr-defined]
    adapters.register_loader("timestamptz", loader)


def _on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    register_clamping_loader(connection)


def connect_signal() -> None:
    connection_created.connect(_on_connection_created, dispatch_uid="handoff.dbtypes.clamp")
