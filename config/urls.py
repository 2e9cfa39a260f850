from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.defaults import page_not_found

from counselors import views as session_views
from counselors.signin import SignInForm
from handoff import health
from handoff.audit import views as audit_views
from handoff.cases import views as case_views
from handoff.followups import views as follow_up_views
from handoff.history import views as history_views
from handoff.monitoring import views as monitoring_views
from handoff.problems import problem
from handoff.queue import views as queue_views
from handoff.reports import views as report_views
from handoff.reviews import views as review_views
from handoff.staff import views as staff_views
from handoff.supervision import views as supervision_views

urlpatterns = [
    path("", queue_views.dashboard, name="dashboard"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=SignInForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/session", session_views.session_status, name="session-status"),
    path("accounts/session/keep", session_views.session_keep, name="session-keep"),
    path("account/", staff_views.account, name="account"),
    path("account/preferences", staff_views.preferences, name="account-preferences"),
    path("account/authenticator", staff_views.authenticator_start, name="account-authenticator"),
    path(
        "account/authenticator/confirm",
        staff_views.authenticator_confirm,
        name="account-authenticator-confirm",
    ),
    path("account/backup-codes", staff_views.backup_codes, name="account-backup-codes"),
    path(
        "account/sign-out-everywhere",
        staff_views.sign_out_everywhere,
        name="account-sign-out-everywhere",
    ),
    path("staff/", staff_views.staff_list, name="staff"),
    path("staff/<int:user_id>/sessions/end", staff_views.sessions_end, name="staff-sessions-end"),
    path(
        "staff/<int:user_id>/second-factor/reset",
        staff_views.factor_reset,
        name="staff-factor-reset",
    ),
    path("staff/<int:user_id>/unlock", staff_views.unlock, name="staff-unlock"),
    path("cases/<uuid:handoff_id>/", case_views.case_detail, name="case-detail"),
    path("cases/<uuid:handoff_id>/claim", queue_views.claim, name="case-claim"),
    path("cases/<uuid:handoff_id>/release", queue_views.release, name="case-release"),
    path("cases/<uuid:handoff_id>/transfer", queue_views.transfer, name="case-transfer"),
    path("cases/<uuid:handoff_id>/live", case_views.case_live, name="case-live"),
    path("cases/<uuid:handoff_id>/attempts", case_views.contact_attempt, name="case-attempt"),
    path("cases/<uuid:handoff_id>/notes", case_views.note_add, name="case-note"),
    path(
        "cases/<uuid:handoff_id>/contact-status",
        case_views.contact_status,
        name="case-contact-status",
    ),
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
    path("cases/<uuid:handoff_id>/erase", case_views.erase, name="case-erase"),
    path("cases/<uuid:handoff_id>/help", supervision_views.help_ask, name="case-help"),
    path("floor/", supervision_views.floor_page, name="floor"),
    path(
        "floor/alerts/<int:alert_id>/acknowledge",
        supervision_views.alert_acknowledge,
        name="floor-alert-ack",
    ),
    path(
        "floor/help/<int:help_id>/answer", supervision_views.help_answer, name="floor-help-answer"
    ),
    path(
        "floor/cases/<uuid:handoff_id>/reassign",
        supervision_views.reassign,
        name="floor-reassign",
    ),
    path("me/availability", supervision_views.availability, name="availability"),
    path("reports/", report_views.report, name="reports"),
    path("reports.csv", report_views.report_csv_view, name="reports-csv"),
    path(
        "reports/platforms/<slug:slug>.csv",
        report_views.platform_csv_view,
        name="reports-platform-csv",
    ),
    path("cases/", history_views.case_history_list, name="case-history"),
    path("audit/", audit_views.audit_list, name="audit"),
    path("cases/<uuid:handoff_id>/review", review_views.review_sign, name="case-review"),
    path("reviews/", review_views.review_list, name="reviews"),
    path("follow-ups/", follow_up_views.follow_up_list, name="follow-ups"),
    path(
        "follow-ups/<int:follow_up_id>/", follow_up_views.follow_up_detail, name="follow-up-detail"
    ),
    path(
        "follow-ups/<int:follow_up_id>/take", follow_up_views.follow_up_take, name="follow-up-take"
    ),
    path(
        "follow-ups/<int:follow_up_id>/attempts",
        follow_up_views.follow_up_attempt,
        name="follow-up-attempt",
    ),
    path(
        "follow-ups/<int:follow_up_id>/notes", follow_up_views.follow_up_note, name="follow-up-note"
    ),
    path(
        "follow-ups/<int:follow_up_id>/done", follow_up_views.follow_up_done, name="follow-up-done"
    ),
    path(
        "follow-ups/<int:follow_up_id>/not-reached",
        follow_up_views.follow_up_not_reached,
        name="follow-up-not-reached",
    ),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", monitoring_views.metrics, name="metrics"),
    path("api/v1/", include("handoff.intake.urls")),
    path("admin/", admin.site.urls),
]


def _not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return problem(status=404, slug="not-found", title="Not found")
    return page_not_found(request, exception)


handler404 = _not_found
