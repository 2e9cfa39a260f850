from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from counselors.models import User


@admin.register(User)
class StaffAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ("username", "display_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
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
