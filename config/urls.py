from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.defaults import page_not_found

from handoff import health
from handoff.problems import problem

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", include("handoff.intake.urls")),
    path("admin/", admin.site.urls),
]


def _not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return problem(status=404, slug="not-found", title="Not found")
    return page_not_found(request, exception)


handler404 = _not_found
