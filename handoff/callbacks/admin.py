"""Admin screens for callbacks to platforms: what was owed, each attempt and its answer.

Read-only: callbacks and their attempts are a record of what was sent, not something to edit.
The payload is not shown; a `handoff.message` body holds a counselor's words to the person.
"""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from handoff.models import Callback, CallbackAttempt

__all__ = ["CallbackAdmin"]


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CallbackAttemptInline(ReadOnlyMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = CallbackAttempt
    fields = ("number", "at", "status_code", "error", "duration_ms")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("number",)


@admin.register(Callback)
class CallbackAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "event",
        "platform",
        "handoff_id",
        "status",
        "attempts",
        "created_at",
        "delivered_at",
    )
    list_filter = ("status", "event", "platform")
    search_fields = ("=id", "=handoff__id", "handoff__external_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    list_select_related = ("platform",)
    fields = (
        "id",
        "webhook_id",
        "event",
        "platform",
        "handoff_id",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "delivered_at",
        "expires_at",
    )
    readonly_fields = fields
    inlines = (CallbackAttemptInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Callback]:
        return super().get_queryset(request).select_related("platform")

    @admin.display(description="webhook-id")
    def webhook_id(self, obj: Callback) -> str:
        return obj.webhook_id

    @admin.display(description="case id", ordering="handoff_id")
    def handoff_id(self, obj: Callback) -> str:
        return str(obj.handoff_id)
