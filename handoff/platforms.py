"""Platform accounts and their signing secrets."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from handoff.models import Platform, PlatformSecret
from handoff.signing import new_secret


@dataclass(frozen=True)
class PlatformSecrets:
    """Secrets in the clear, returned once to be handed to the platform; stored encrypted."""

    slug: str
    inbound_secret: str
    outbound_secret: str


@transaction.atomic
def platform_create(*, slug: str, name: str, callback_url: str = "") -> PlatformSecrets:
    inbound = new_secret()
    outbound = new_secret()
    platform = Platform(slug=slug, name=name, callback_url=callback_url, outbound_secret=outbound)
    platform.full_clean()
    platform.save()
    PlatformSecret.objects.create(platform=platform, secret=inbound)
    return PlatformSecrets(slug=slug, inbound_secret=inbound, outbound_secret=outbound)


@transaction.atomic
def platform_rotate_inbound(*, platform: Platform, grace: timedelta) -> str:
    """Add a new inbound secret; the current ones keep verifying for `grace`, then expire."""
    now = timezone.now()
    PlatformSecret.objects.filter(platform=platform, expires_at__isnull=True).update(
        expires_at=now + grace
    )
    secret = new_secret()
    PlatformSecret.objects.create(platform=platform, secret=secret, created_at=now)
    return secret


@transaction.atomic
def platform_rotate_outbound(*, platform: Platform) -> str:
    """Replace the callback-signing secret. Callbacks sign with the new one from now on."""
    secret = new_secret()
    platform.outbound_secret = secret
    platform.save(update_fields=["outbound_secret", "updated_at"])
    return secret
