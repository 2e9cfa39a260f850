"""Liveness and readiness for load balancers and monitoring."""

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from handoff import runtime

logger = logging.getLogger(__name__)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and answering; checks nothing else."""
    return JsonResponse({"status": "ok"})


def readiness() -> dict[str, str]:
    """Each dependency's state: "ok", "unavailable", or why it is not checked. One query and one
    Redis ping; /readyz answers with it and /metrics exports it."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        logger.warning("readyz: database unreachable (%s)", type(exc).__name__)
        checks["database"] = "unavailable"
    client = runtime.redis()
    if client is not None:
        try:
            client.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            logger.warning("readyz: redis unreachable (%s)", type(exc).__name__)
            checks["redis"] = "unavailable"
    else:
        checks["redis"] = "not used (embedded)"
    return checks


def is_ready(checks: dict[str, str]) -> bool:
    return "unavailable" not in checks.values()


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to take handoffs: PostgreSQL and Redis both reachable."""
    checks = readiness()
    ready = is_ready(checks)
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )
