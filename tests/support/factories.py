"""Test data: platforms with their secrets, handoff bodies, signed requests."""

import itertools
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.test import Client
from standardwebhooks import Webhook

from handoff.demo.sample import sample_handoff
from handoff.models import Platform
from handoff.platforms import platform_create

_counter = itertools.count(1)


@dataclass
class PlatformWithSecrets:
    platform: Platform
    inbound_secret: str
    outbound_secret: str

    @property
    def slug(self) -> str:
        return self.platform.slug

    def url(self, suffix: str = "") -> str:
        return f"/api/v1/platforms/{self.slug}/handoffs{suffix}"


class PlatformFactory:
    def __call__(self, *, callback_url: str = "", rate_limit: int = 600) -> PlatformWithSecrets:
        slug = f"p{next(_counter)}-{uuid.uuid4().hex[:6]}"
        created = platform_create(slug=slug, name=f"Platform {slug}", callback_url=callback_url)
        platform = Platform.objects.get(slug=slug)
        if rate_limit != 600:
            platform.rate_limit_per_minute = rate_limit
            platform.save(update_fields=["rate_limit_per_minute"])
        return PlatformWithSecrets(platform, created.inbound_secret, created.outbound_secret)


def handoff_body(**overrides: Any) -> dict[str, Any]:
    body = sample_handoff()
    body.update(overrides)
    return body


def signed_headers(
    *, secret: str, body: bytes, msg_id: str | None = None, at: datetime | None = None
) -> dict[str, str]:
    """Signed with the standardwebhooks library's own Webhook.sign."""
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(tz=UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body.decode()),
    }


def post_signed(
    client: Client,
    url: str,
    *,
    secret: str,
    body: dict[str, Any] | bytes | str,
    msg_id: str | None = None,
    content_type: str = "application/json",
    at: datetime | None = None,
) -> Any:
    raw = (
        body
        if isinstance(body, bytes)
        else (body if isinstance(body, str) else json.dumps(body)).encode()
    )
    headers = signed_headers(secret=secret, body=raw, msg_id=msg_id, at=at)
    return client.generic("POST", url, raw, content_type=content_type, headers=headers)


def get_signed(client: Client, url: str, *, secret: str) -> Any:
    headers = signed_headers(secret=secret, body=b"")
    return client.get(url, headers=headers)
