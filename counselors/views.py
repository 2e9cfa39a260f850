"""The session's own endpoints, for the page's expiry warning (static/console/session.js)."""

from django.http import HttpRequest, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from counselors.sessions import background, now_seconds, seconds_left


def _answer(request: HttpRequest) -> JsonResponse:
    signed_in = request.user.is_authenticated
    left = seconds_left(request.session, now=now_seconds()) if signed_in else 0
    response = JsonResponse({"signed_in": signed_in, "seconds_left": left})
    add_never_cache_headers(response)
    return response


@require_GET
@background  # asked by the page itself, every little while: not the person being active
def session_status(request: HttpRequest) -> JsonResponse:
    """How long until this session ends if the person does nothing (another tab may have
    kept it alive)."""
    return _answer(request)


@require_POST
def session_keep(request: HttpRequest) -> JsonResponse:
    """The person pressed "Stay signed in": a request they made, so it counts as activity
    (counselors.sessions.SessionPolicyMiddleware), like any other."""
    return _answer(request)
