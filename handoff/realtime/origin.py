"""Which pages may open the console's websockets: its own, or origins the operator trusts.

A websocket is not bound by the same-origin policy: any page a signed-in counselor has open could
open one with their cookie. The browser says which page asks in the `Origin` header, and this
check wants it to be the console itself, scheme, host and port alike (channels'
AllowedHostsOriginValidator compares the host name only, so `http://` or another port on the same
host passed), or one of `CSRF_TRUSTED_ORIGINS`. The `Host` must also be one of `ALLOWED_HOSTS`, as
Django requires of every HTTP request.
"""

from typing import Any
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}
# Close before accepting: the server answers the handshake with 403.
REFUSED = {"type": "websocket.close", "code": 403}

Origin = tuple[str, str, int]


def _origin(url: str) -> Origin | None:
    """(scheme, host, port) of an origin, or None when it is not one."""
    try:
        parts: SplitResult = urlsplit(url.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def _allowed_hosts() -> list[str]:
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]  # what Django allows for HTTP
    return hosts


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin1")
    return None


def _secure(scope: dict[str, Any]) -> bool:
    """https, the way Django decides it for a request: the server says so, or a proxy we trust
    (SECURE_PROXY_SSL_HEADER, set with HTTPS=1) does."""
    if scope.get("scheme") == "wss":
        return True
    proxy: tuple[str, str] | None = settings.SECURE_PROXY_SSL_HEADER
    if not proxy:
        return False
    name, secure_value = proxy
    header = name.removeprefix("HTTP_").replace("_", "-").lower().encode()
    value = _header(scope, header)
    return value is not None and value.split(",", 1)[0].strip() == secure_value


def own_origin(scope: dict[str, Any]) -> Origin | None:
    """The origin this handshake was made to, or None when its Host is not the console's."""
    host = _header(scope, b"host")
    if not host:
        return None
    domain, _ = split_domain_port(host.lower())
    if not domain or not validate_host(domain, _allowed_hosts()):
        return None
    return _origin(("https://" if _secure(scope) else "http://") + host)


def _trusted(origin: Origin, pattern: str) -> bool:
    """One CSRF_TRUSTED_ORIGINS entry; `https://*.example.org` stands for its subdomains."""
    wildcard = "://*." in pattern
    trusted = _origin(pattern.replace("://*.", "://", 1))
    if trusted is None:
        return False
    scheme, host, port = trusted
    if origin[0] != scheme or origin[2] != port:
        return False
    return origin[1].endswith("." + host) if wildcard else origin[1] == host


def origin_allowed(scope: dict[str, Any]) -> bool:
    own = own_origin(scope)
    sent = _header(scope, b"origin")
    origin = _origin(sent) if sent else None
    if own is None or origin is None:
        return False
    return origin == own or any(_trusted(origin, p) for p in settings.CSRF_TRUSTED_ORIGINS)


async def refuse(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Refuse a websocket handshake with 403, touching nothing else (not even the channel
    layer, so it answers the same with Redis down)."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send(REFUSED)


class SameOriginValidator:
    """ASGI middleware: websockets from the console's own pages (or trusted origins) only."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket" and origin_allowed(scope):
            await self.application(scope, receive, send)
        else:
            await refuse(scope, receive, send)
