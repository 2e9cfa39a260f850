import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from handoff.monitoring import logs, metrics
from handoff.problems import storage_unavailable

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("handoff.access")

REQUEST_ID_HEADER = "X-Request-ID"


class RequestContextMiddleware:
    """First in the chain: gives each request an id (the proxy's X-Request-ID when it sent a
    well-formed one), which every log line of the request carries and the response returns;
    adds the case and the signed-in user once the URL and the session name them; and counts
    the platform API's answers by status.

    Costs no query of its own: the user id is read from a session the view loads anyway, and a
    request without a session cookie (the platform API, health checks, the scraper) has none
    to read (nor is its session touched, which would add `Vary: Cookie`).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        request_id = logs.request_id_from(request.headers.get(REQUEST_ID_HEADER))
        with logs.bound(request_id=request_id):
            response = self.get_response(request)
            _access_log(request, response, started)
        response[REQUEST_ID_HEADER] = request_id
        match = request.resolver_match
        if match is not None and match.app_name == "intake" and request.method == "POST":
            metrics.intake_answered(response.status_code)
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        user_id = None
        session = getattr(request, "session", None)
        if session is not None and settings.SESSION_COOKIE_NAME in request.COOKIES:
            # A database that does not answer: the view meets it too, and is answered 503.
            with contextlib.suppress(DatabaseError):
                user_id = session.get(SESSION_KEY)
        logs.bind(user_id=user_id, case_id=_case_id(view_kwargs.get("handoff_id")))


# Probes ask every few seconds: their answers are logged only when they are not good.
_QUIET_WHEN_GOOD = {"healthz", "readyz", "metrics"}


def _access_log(request: HttpRequest, response: HttpResponse, started: float) -> None:
    """One line per request, in place of daphne's plain-text access log (run it with `-v 0`).
    It names the route, never the path: a path is the client's to fill (an id, or anything
    typed where an id belongs), and the case's id is already in the line's context."""
    match = request.resolver_match
    status = response.status_code
    if match is not None and match.url_name in _QUIET_WHEN_GOOD and status < 400:
        return
    route = f"/{match.route}" if match is not None else "(no route)"
    duration_ms = round((time.monotonic() - started) * 1000, 1)
    access_logger.info(
        "%s %s %d %.1f ms",
        request.method,
        route,
        status,
        duration_ms,
        extra={
            "method": request.method,
            "route": route,
            "status": status,
            "duration_ms": duration_ms,
            # The address daphne took the request from: behind the proxy, the one it saw.
            "client": request.META.get("REMOTE_ADDR", ""),
        },
    )


def _case_id(value: object) -> str | None:
    """A case id from the URL, only when it is one (an API path may hold anything)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    try:
        return str(uuid.UUID(str(value))) if value is not None else None
    except ValueError:
        return None


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
