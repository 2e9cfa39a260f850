from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    COUNSELOR = "counselor", "Counselor"
    SUPERVISOR = "supervisor", "Supervisor"
    ADMIN = "admin", "Administrator"


class Availability(models.TextChoices):
    AVAILABLE = "available", "Available"
    AWAY = "away", "Away"


class Theme(models.TextChoices):
    """How the console looks to this person: as their system says, or always one way."""

    SYSTEM = "system", "As my system (light or dark)"
    LIGHT = "light", "Light"
    DARK = "dark", "Dark"


class AlertSound(models.TextChoices):
    """How the alert for an urgent case sounds to this person; the title and the banner change
    whatever is chosen."""

    ON = "on", "On"
    QUIET = "quiet", "Quiet"
    MUTED = "muted", "Muted"


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
    theme = models.CharField(max_length=8, choices=Theme.choices, default=Theme.SYSTEM)
    alert_sound = models.CharField(max_length=8, choices=AlertSound.choices, default=AlertSound.ON)

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


class AccountEventKind(models.TextChoices):
    SIGNED_IN = "signed_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in refused"
    LOCKED = "locked", "Sign-in locked"
    UNLOCKED = "unlocked", "Sign-in unlocked"
    SIGNED_OUT = "signed_out", "Signed out"
    SESSION_EXPIRED = "session_expired", "Session ended (idle or past its length)"
    SIGNED_OUT_EVERYWHERE = "signed_out_everywhere", "Signed out everywhere"
    SESSIONS_ENDED = "sessions_ended", "Sessions ended by a supervisor or an administrator"
    DEACTIVATED = "deactivated", "Deactivated"
    FACTOR_ENROLLED = "factor_enrolled", "Authenticator set up"
    FACTOR_RESET = "factor_reset", "Second factor reset"
    BACKUP_CODES_ISSUED = "backup_codes_issued", "Backup codes issued"
    BACKUP_CODE_USED = "backup_code_used", "Backup code used"
    PREFERENCES_CHANGED = "preferences_changed", "Theme or alert sound changed"


class AccountEvent(models.Model):
    """The append-only record of what happened to staff accounts: sign-ins and refusals,
    lockouts, second-factor changes, sessions ended.

    It keeps account ids rather than foreign keys so the record outlives an account. It holds no
    password, code or typed text: a refused name that matches no account is kept only as a keyed
    digest (counselors.signin.username_digest); `detail` is one of a few fixed words.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=32, choices=AccountEventKind.choices)
    # The account concerned, when there is one.
    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # Who did it, when not the account itself (a supervisor, an administrator).
    actor_id = models.BigIntegerField(null=True, blank=True)
    username_digest = models.CharField(max_length=32, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["at", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=models.Q(kind__in=AccountEventKind.values),
                name="account_event_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} user={self.user_id} at {self.at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("AccountEvent is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("AccountEvent is append-only")
