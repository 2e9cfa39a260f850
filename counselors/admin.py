from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from counselors.models import User


@admin.register(User)
class StaffAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ("username", "display_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Console", {"fields": ("role", "display_name")}))
