from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.defaults import page_not_found

from handoff import health
from handoff.cases import views as case_views
from handoff.problems import problem
from handoff.queue import views as queue_views

urlpatterns = [
    path("", queue_views.dashboard, name="dashboard"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cases/<uuid:handoff_id>/", case_views.case_detail, name="case-detail"),
    path("cases/<uuid:handoff_id>/claim", queue_views.claim, name="case-claim"),
    path("cases/<uuid:handoff_id>/release", queue_views.release, name="case-release"),
    path("cases/<uuid:handoff_id>/transfer", queue_views.transfer, name="case-transfer"),
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
