"""The platforms that hand conversations over, and the secrets they sign with."""

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone

from handoff.crypto import EncryptedTextField


class Platform(models.Model):
    """An AI chat product that hands conversations over. Its slug is in every API path."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    outbound_secret = EncryptedTextField(help_text="Signs callbacks to the platform (whsec_...).")
    callback_url = models.URLField(
        blank=True, help_text="Where callbacks go. Never taken from a request."
    )
    rate_limit_per_minute = models.PositiveIntegerField(default=600)
    retention_days = models.PositiveIntegerField(default=90)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(rate_limit_per_minute__gte=1), name="platform_rate_limit_positive"
            ),
            models.CheckConstraint(
                condition=Q(retention_days__gte=1), name="platform_retention_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PlatformSecret(models.Model):
    """An inbound signing secret. Several may be valid at once while a platform rotates."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="inbound_secrets")
    secret = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="After this the secret no longer verifies requests."
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return f"inbound secret of {self.platform_id} from {self.created_at:%Y-%m-%d}"
