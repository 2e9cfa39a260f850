from django.urls import path

from handoff.intake import views

app_name = "intake"

urlpatterns = [
    path("openapi.json", views.openapi, name="openapi"),
    path("platforms/<slug:platform>/handoffs", views.handoff_create, name="handoff-create"),
    path(
        "platforms/<slug:platform>/handoffs/<str:handoff_id>",
        views.handoff_status,
        name="handoff-status",
    ),
    path(
        "platforms/<slug:platform>/handoffs/<str:handoff_id>/messages",
        views.handoff_messages,
        name="handoff-messages",
    ),
    path(
        "platforms/<slug:platform>/handoffs/<str:handoff_id>/withdraw",
        views.handoff_withdraw,
        name="handoff-withdraw",
    ),
]
