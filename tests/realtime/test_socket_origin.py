"""Who may open the console's websockets (config.asgi.application, a signed-in counselor): the
console's own pages (scheme, host and port alike) or a trusted origin; any other path is refused
with a clean 403, never a 500."""

import pytest

from tests.support.sockets import HOST, socket
from tests.support.staff import make_staff, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
def cookie(transactional_db: None) -> str:
    return session_cookie(make_staff("casey"))


async def _opens(comm) -> bool:
    connected, _ = await comm.connect(timeout=5)
    if connected:
        await comm.disconnect()
    return bool(connected)


async def test_the_consoles_own_page_opens_the_dashboard_socket(cookie: str) -> None:
    assert await _opens(socket("/ws/queue/", cookie=cookie))


@pytest.mark.parametrize(
    "origin",
    [
        "https://127.0.0.1:8000",  # another scheme on the same host and port
        "http://127.0.0.1:9999",  # another port on the same host
        "http://127.0.0.1",  # the same host on the default port
        "http://localhost:8000",  # another allowed host than the one connected to
        "https://evil.example",
        "null",
    ],
)
async def test_a_page_of_another_origin_is_refused(cookie: str, origin: str) -> None:
    comm = socket("/ws/queue/", cookie=cookie, origin=origin)
    connected, code = await comm.connect(timeout=5)
    assert not connected
    assert code == 403


async def test_without_origin_or_host_the_socket_is_refused(cookie: str) -> None:
    assert not await _opens(socket("/ws/queue/", cookie=cookie, origin=None))
    assert not await _opens(socket("/ws/queue/", cookie=cookie, host=None))


async def test_a_host_the_console_does_not_answer_to_is_refused_even_with_its_own_origin(
    cookie: str,
) -> None:
    comm = socket("/ws/queue/", cookie=cookie, host="evil.example", origin="http://evil.example")
    assert not await _opens(comm)


async def test_behind_tls_the_page_is_https(cookie: str, settings) -> None:
    """With HTTPS=1 the proxy says the request was https (X-Forwarded-Proto): then the page's
    origin is https, as Django decides for every HTTP request."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    forwarded = [(b"x-forwarded-proto", b"https")]
    https_page = f"https://{HOST}"
    assert await _opens(socket("/ws/queue/", cookie=cookie, origin=https_page, headers=forwarded))
    assert not await _opens(socket("/ws/queue/", cookie=cookie, headers=forwarded))
    # Without the proxy's word the request is plain http.
    assert not await _opens(socket("/ws/queue/", cookie=cookie, origin=https_page))


async def test_a_trusted_origin_is_let_in(cookie: str, settings) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://console.example.org", "https://*.crisis.example"]
    assert await _opens(socket("/ws/queue/", cookie=cookie, origin="https://console.example.org"))
    assert await _opens(socket("/ws/queue/", cookie=cookie, origin="https://floor.crisis.example"))
    assert not await _opens(
        socket("/ws/queue/", cookie=cookie, origin="http://console.example.org")
    )
    assert not await _opens(
        socket("/ws/queue/", cookie=cookie, origin="https://console.example.org:8443")
    )
    assert not await _opens(socket("/ws/queue/", cookie=cookie, origin="https://crisis.example"))


@pytest.mark.parametrize(
    "path", ["/ws/nowhere/", "/ws/cases/not-a-case/", "/ws/queue/extra/", "/", "/ws/"]
)
async def test_a_socket_to_an_unknown_path_is_refused_not_a_server_error(
    cookie: str, path: str
) -> None:
    comm = socket(path, cookie=cookie)
    connected, code = await comm.connect(timeout=5)
    assert not connected
    assert code == 403
