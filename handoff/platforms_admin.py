"""Platforms and the event log in Django's admin. Secrets are never shown: they are printed once
by platform_create and platform_rotate_secret."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from handoff.models import HandoffEvent, Platform, PlatformSecret


class InboundSecretInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PlatformSecret
    fields = ("created_at", "expires_at")
    readonly_fields = ("created_at",)
    extra = 0
    can_delete = False
    verbose_name = "inbound signing secret (value hidden; rotate with platform_rotate_secret)"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "slug",
        "name",
        "active",
        "callback_url",
        "rate_limit_per_minute",
        "retention_days",
    )
    list_filter = ("active",)
    search_fields = ("slug", "name")
    fields = ("slug", "name", "active", "callback_url", "rate_limit_per_minute", "retention_days")
    readonly_fields = ("slug",)
    inlines = (InboundSecretInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Creating a platform makes secrets that must be shown once: use platform_create.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HandoffEvent)
class HandoffEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("at", "kind", "handoff_id", "actor", "platform")
    list_filter = ("kind", "platform")
    search_fields = ("handoff_id",)
    date_hierarchy = "at"
    list_select_related = ("actor", "platform")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
