"""Log lines that say which request, case and user they are about, and never what was said.

A context variable carries the ids of what is being handled: a request's id (RequestContext-
Middleware in handoff.middleware), the case and the user where the request names them, a Celery
task's name and id. A filter on the handler copies them onto each record, and one of two
formatters writes it: JSON lines (LOG_FORMAT=json, for a log collector) or plain text
(LOG_FORMAT=text, for a person at a terminal).

What goes into a log line is decided where it is logged: ids, counts, kinds of error; never a
transcript, a note, a phone number, an address or a location (tests/monitoring/test_logs.py
posts them and searches every server's log for them).
"""

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

# The fields, in the order a text line shows them.
FIELDS = ("request_id", "task", "task_id", "case_id", "user_id")

_EMPTY: MappingProxyType[str, str] = MappingProxyType({})
_context: ContextVar[MappingProxyType[str, str]] = ContextVar("log_context", default=_EMPTY)


@contextmanager
def bound(**fields: object) -> Iterator[None]:
    """Within the block, every log line carries `fields` (and anything bind() adds); after it,
    what was there before."""
    token = enter(**fields)
    try:
        yield
    finally:
        leave(token)


def enter(**fields: object) -> Token[MappingProxyType[str, str]]:
    """bound() for a span that does not fit a block (a Celery task, from its prerun signal to
    its postrun): pass the token to leave() at its end."""
    return _context.set(_merged(fields))


def leave(token: Token[MappingProxyType[str, str]]) -> None:
    _context.reset(token)


def bind(**fields: object) -> None:
    """Add `fields` to the log context until the enclosing bound() block ends."""
    _context.set(_merged(fields))


def current() -> MappingProxyType[str, str]:
    return _context.get()


def _merged(fields: dict[str, object]) -> MappingProxyType[str, str]:
    merged = dict(_context.get())
    merged.update({k: str(v) for k, v in fields.items() if v is not None and v != ""})
    return MappingProxyType(merged)


# A proxy's id (nginx's $request_id is 32 hex digits) or a UUID. Anything else a client sends
# is replaced: the header is the client's to fill, and a log must not keep what it chose to put
# there (a name, a phone number).
_REQUEST_ID = re.compile(r"[0-9a-fA-F]{16,64}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def request_id_from(header: str | None) -> str:
    """The request id to use: the proxy's when it sent a well-formed one, else a fresh one."""
    if header and _REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Copies the log context onto each record (the formatters write it). What the line's own
    `extra=` says is kept: other handlers (a test's caplog) see the record as it was logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _context.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the context's ids,
    and the traceback (exc_info) when there is one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=False,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat(
            timespec="milliseconds"
        )
        super().add_fields(log_data, record, message_dict)


class TextFormatter(logging.Formatter):
    """`2026-01-01 12:00:00,000 INFO handoff.intake.views handoff … accepted request_id=…`"""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(
            f"{name}={getattr(record, name)}" for name in FIELDS if hasattr(record, name)
        )
        if not context:
            return line
        first, newline, rest = line.partition("\n")  # a traceback stays below
        return f"{first} {context}{newline}{rest}"
