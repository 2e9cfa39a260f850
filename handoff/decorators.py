from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils.cache import add_never_cache_headers

from handoff.access import is_staff_member

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """Signed-in staff only: others are sent to sign in; signed-in non-staff are refused.

    Whatever a signed-in page answers may carry a person's details, so no cache (the browser's
    disk, its back button, a proxy) may keep it.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_member(request.user):
            return HttpResponseForbidden("This console is for crisis center staff.")
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapper
