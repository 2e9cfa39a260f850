"""The console's URLs, plus a view that fails and one that writes to the session: for tests of
what every response carries, error pages and the session cookie included."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config import urls


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def session_write(request: HttpRequest) -> HttpResponse:
    request.session["seen"] = True
    return HttpResponse("ok")


urlpatterns = [
    path("test-only/fail", fail),
    path("test-only/session", session_write),
    *urls.urlpatterns,
]
handler404 = urls.handler404
