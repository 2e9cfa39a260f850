"""RFC 9457 problem details: every error the platform API gives has this shape."""

from typing import Any

from django.http import JsonResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem(
    *,
    status: int,
    slug: str,
    title: str,
    detail: str = "",
    retry_after: int | None = None,
    **extra: Any,
) -> JsonResponse:
    body: dict[str, Any] = {"type": f"/api/v1/problems/{slug}", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def storage_unavailable(retry_after: int) -> JsonResponse:
    return problem(
        status=503,
        slug="storage-unavailable",
        title="Storage unavailable",
        detail="The console cannot store requests right now. Nothing was stored; retry later.",
        retry_after=retry_after,
    )
