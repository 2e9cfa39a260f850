from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden

from handoff.access import is_staff_member

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """Signed-in staff only: others are sent to sign in; signed-in non-staff are refused."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_member(request.user):
            return HttpResponseForbidden("This console is for crisis center staff.")
        return view(request, *args, **kwargs)

    return wrapper
