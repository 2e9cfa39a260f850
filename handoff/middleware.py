import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from handoff.problems import storage_unavailable

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """PostgreSQL down answers 503 with Retry-After, never a 500.

    Only connection-level failures are caught: OperationalError and InterfaceError are what
    psycopg raises when the server cannot be reached or the connection dropped. Any partial
    transaction was rolled back by the atomic block that raised.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError | InterfaceError) or (
            isinstance(exception, DatabaseError) and _is_connection_error(exception)
        ):
            logger.warning("database unavailable: %s", type(exception).__name__)
            return storage_unavailable(settings.INTAKE_RETRY_AFTER_SECONDS)
        return None


def _is_connection_error(exc: DatabaseError) -> bool:
    cause = exc.__cause__
    return cause is not None and type(cause).__name__ in {"OperationalError", "InterfaceError"}
