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
    path("cases/<uuid:handoff_id>/live", case_views.case_live, name="case-live"),
    path("cases/<uuid:handoff_id>/attempts", case_views.contact_attempt, name="case-attempt"),
    path("cases/<uuid:handoff_id>/notes", case_views.note_add, name="case-note"),
    path(
        "cases/<uuid:handoff_id>/notes/<int:note_id>/edit",
        case_views.note_edit,
        name="case-note-edit",
    ),
    path("cases/<uuid:handoff_id>/relay", case_views.relay, name="case-relay"),
    path("cases/<uuid:handoff_id>/assessment", case_views.assessment, name="case-assessment"),
    path("cases/<uuid:handoff_id>/close", case_views.close, name="case-close"),
    path(
        "cases/<uuid:handoff_id>/mobile-crisis",
        case_views.dispatch_request,
        name="case-dispatch",
    ),
    path(
        "cases/<uuid:handoff_id>/mobile-crisis/<int:dispatch_id>",
        case_views.dispatch_update,
        name="case-dispatch-update",
    ),
    path("cases/<uuid:handoff_id>/emergency", case_views.emergency_call, name="case-emergency"),
    path(
        "cases/<uuid:handoff_id>/emergency/<int:call_id>/confirm",
        case_views.emergency_confirm,
        name="case-emergency-confirm",
    ),
    path("cases/<uuid:handoff_id>/amend", case_views.amend, name="case-amend"),
    path("cases/<uuid:handoff_id>/export", case_views.export, name="case-export"),
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
