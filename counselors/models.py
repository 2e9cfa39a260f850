from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    COUNSELOR = "counselor", "Counselor"
    SUPERVISOR = "supervisor", "Supervisor"
    ADMIN = "admin", "Administrator"


class Availability(models.TextChoices):
    AVAILABLE = "available", "Available"
    AWAY = "away", "Away"


class User(AbstractUser):
    """A member of staff. The role decides what they may see and do (see handoff.access)."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.COUNSELOR)
    display_name = models.CharField(
        max_length=150, blank=True, help_text="Shown to colleagues, e.g. on a claimed case."
    )
    # Set by the counselor: away takes no new cases (a supervisor may still assign one).
    availability = models.CharField(
        max_length=16, choices=Availability.choices, default=Availability.AVAILABLE
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.access_follow_role()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "role" in update_fields:
            kwargs["update_fields"] = {*update_fields, "is_staff", "is_superuser"}
        super().save(*args, **kwargs)

    def access_follow_role(self) -> None:
        """The role is the one switch: Administrator opens Django's admin site (staff and
        superuser), any other role closes it, wherever the account is saved (the admin's form,
        staff_create). Django's own createsuperuser says "administrator" by making a new
        account a superuser, so there the role follows."""
        if self._state.adding and self.is_superuser:
            self.role = Role.ADMIN
        self.is_staff = self.is_superuser = self.role == Role.ADMIN

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Door(models.TextChoices):
    """Which page a live socket belongs to."""

    DASHBOARD = "dashboard", "Dashboard"
    CASE = "case", "Case page"
    FLOOR = "floor", "Floor"


class PresenceConnection(models.Model):
    """One open console socket (a dashboard, a case page or the floor). A user is online while
    any of theirs has beaten recently; a closed socket deletes its row, a dead browser's row
    expires (counselors.presence)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="presence")
    channel_name = models.CharField(max_length=255, unique=True)
    door = models.CharField(max_length=16, choices=Door.choices, default=Door.DASHBOARD)
    connected_at = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.user} via {self.channel_name}"
