"""Directories the operator imports: emergency centers (PSAPs) and mobile crisis teams.

There is no public nationwide list of emergency centers' 10-digit lines, so these are imported
from state lists or commercial data (handoff.directory.imports) and edited in the admin.
"""

from typing import ClassVar

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

TEN_DIGITS = RegexValidator(r"^[0-9]{10}$", "A 10-digit North American number, digits only.")
STATE = RegexValidator(r"^[A-Z]{2}$", "A two-letter state code, e.g. OH.")


class EmergencyCenter(models.Model):
    """A public-safety answering point: who a counselor phones for an emergency at a place."""

    psap_id = models.CharField("FCC PSAP ID", max_length=16, unique=True)
    name = models.CharField(max_length=200)
    state = models.CharField(max_length=2, validators=[STATE])
    county = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=100, blank=True)
    emergency_line = models.CharField(
        "10-digit emergency line", max_length=10, validators=[TEN_DIGITS]
    )
    admin_line = models.CharField(max_length=10, blank=True, validators=[TEN_DIGITS])
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["state", "county", "name"]
        indexes = [
            # emergency_center_for(): the county fallback.
            models.Index(fields=["state", "county"], name="emergency_center_by_county"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(emergency_line__regex=r"^[0-9]{10}$"),
                name="emergency_center_line_ten_digits",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"


class EmergencyCenterPostalCode(models.Model):
    """A postal code a center covers: the most specific match a location can have."""

    center = models.ForeignKey(
        EmergencyCenter, on_delete=models.CASCADE, related_name="postal_codes"
    )
    postal_code = models.CharField(max_length=10, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["center", "postal_code"], name="emergency_center_postal_code_unique"
            )
        ]

    def __str__(self) -> str:
        return self.postal_code


class MobileCrisisTeam(models.Model):
    """A team that can be sent to the person. Coverage by state and counties or postal codes."""

    name = models.CharField(max_length=200, unique=True)
    state = models.CharField(max_length=2, validators=[STATE])
    counties = models.JSONField(default=list, blank=True, help_text="County names covered.")
    postal_codes = models.JSONField(default=list, blank=True, help_text="Postal codes covered.")
    phone = models.CharField(max_length=10, validators=[TEN_DIGITS])
    hours = models.CharField(max_length=200, help_text='e.g. "24/7" or "Mon-Fri 08:00-20:00"')
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["state", "name"]

    def __str__(self) -> str:
        return self.name
