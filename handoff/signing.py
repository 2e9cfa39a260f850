"""Standard Webhooks signing, in and out, through the `standardwebhooks` package."""

import base64
import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
PLAIN_SECONDS = re.compile(r"[0-9]{1,12}")  # Unix seconds, ASCII digits only


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def verify(*, body: bytes, headers: Mapping[str, str], secrets_: Iterable[str]) -> bool:
    """True when any current secret signed this body (±5 minutes, per the spec).

    Any malformed header, body or secret counts as a failed verification: the caller answers
    one 401 for every reason, so nothing about which check failed leaks.
    """
    wanted = {k.lower(): v for k, v in headers.items() if k.lower().startswith("webhook-")}
    # The library reads the timestamp as a float and signs its integer part, so "1614265330.5",
    # "+1614265330" or " 1614265330" would verify with the signature of "1614265330".
    if not PLAIN_SECONDS.fullmatch(wanted.get("webhook-timestamp", "")):
        return False
    for secret in secrets_:
        try:
            Webhook(secret).verify(body, wanted, json_parse=False)
        except Exception:  # noqa: S112 - WebhookVerificationError, but also bad base64/unicode
            continue
        return True
    return False


def sign_headers(
    *, secret: str, msg_id: str, body: bytes, at: datetime | None = None
) -> dict[str, str]:
    """The three headers for an outbound (or test) request."""
    timestamp = at or datetime.now(tz=UTC)
    signature = Webhook(secret).sign(msg_id, timestamp, body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }
