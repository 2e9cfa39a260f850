from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from counselors.models import AccountEvent, User
from counselors.signin import signin_unlock


@admin.register(User)
class StaffAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ("username", "display_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    actions = ("unlock_sign_in",)
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (
            "Console",
            {
                "fields": ("role", "display_name"),
                "description": "The role decides access: Administrator opens this admin site "
                "(staff and superuser status follow it); counselors and supervisors have none.",
            },
        ),
    )
    # Set from the role on every save (User.access_follow_role): shown, not edited.
    readonly_fields = ("is_staff", "is_superuser")

    @admin.action(description="Unlock sign-in (lift a lockout now)")
    def unlock_sign_in(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = request.user if isinstance(request.user, User) else None
        for user in queryset:
            signin_unlock(username=user.username, actor=actor)
        self.message_user(request, f"Sign-in unlocked for {queryset.count()} account(s).")


@admin.register(AccountEvent)
class AccountEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The record of account events, read only: it is append-only."""

    list_display = ("at", "kind", "user_id", "actor_id", "address", "detail", "username_digest")
    list_filter = ("kind",)
    search_fields = ("=user_id", "=actor_id", "=address", "=username_digest")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# django-axes' own list of failed attempts: deleting one there is an unlock, and is recorded
# as one (counselors.signin.signin_unlock), like the unlock action above.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(AccessAttemptAdmin):  # type: ignore[misc]
    def delete_model(self, request: HttpRequest, obj: AccessAttempt) -> None:
        self.delete_queryset(request, AccessAttempt.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        actor = request.user if isinstance(request.user, User) else None
        for username, address in queryset.values_list("username", "ip_address").distinct():
            signin_unlock(username=username, address=address, actor=actor)
