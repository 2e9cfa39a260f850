"""Websockets through config.asgi.application, with the headers a browser sends."""

from channels.testing import WebsocketCommunicator

from config.asgi import application

# The console as the test's browser reaches it: the page's origin matches the host it connects to.
HOST = "127.0.0.1:8000"
ORIGIN = f"http://{HOST}"


def socket(
    path: str,
    *,
    cookie: str | None = None,
    origin: str | None = ORIGIN,
    host: str | None = HOST,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> WebsocketCommunicator:
    sent = list(headers or [])
    if cookie:
        sent.append((b"cookie", f"sessionid={cookie}".encode()))
    if origin:
        sent.append((b"origin", origin.encode()))
    if host:
        sent.append((b"host", host.encode()))
    return WebsocketCommunicator(application, path, headers=sent)
