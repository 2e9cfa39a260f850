"""The production layout of `make serve` (ops/serve.py), started for real: Debian's nginx with
TLS in front of two daphne processes, a Celery worker and beat, under the supervisor, on the
test database and a Redis of its own. The attacks daphne cannot fend off go through the proxy."""

import contextlib
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import pytest
from django.db import connection
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from ops.serve import nginx_binary
from tests.support.output import Output, gone, start, stop, wait_until
from tests.support.servers import console_env, free_port, redis_server
from tests.support.staff import make_staff, session_cookie

# Every test is a database test (one creates a counselor), so that pytest-django, which runs
# database tests before the others, keeps this module's tests together and in order: the layout
# starts once, and the last test stops it.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CLIENT_TIMEOUT = 2  # PROXY_CLIENT_TIMEOUT for this layout, seconds
TOO_LARGE = {"type": "/api/v1/problems/too-large", "title": "Request body too large", "status": 413}


@dataclass
class Layout:
    out: Output
    port: int
    tls: ssl.SSLContext
    run_dir: Path

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def pids(self, name: str) -> list[int]:
        return [int(p) for p in re.findall(rf"started {name} \(pid (\d+)\)", self.out.text())]

    def socket(self) -> ssl.SSLSocket:
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return self.tls.wrap_socket(raw, server_hostname="127.0.0.1")

    def head(self, method: str, path: str, extra: str = "") -> bytes:
        return (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n{extra}\r\n").encode()


def _certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def _accepting(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def layout(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Layout]:
    try:
        nginx_binary()
    except Exception:
        pytest.skip("nginx is not installed (scripts/install.sh --proxy installs it)")
    directory = tmp_path_factory.mktemp("serve")
    cert, key = _certificate(directory)
    port, redis_port = free_port(), free_port()
    with redis_server(redis_port) as redis_url:
        env = console_env(database_name=connection.settings_dict["NAME"])
        env.update(
            REDIS_URL=redis_url,
            WEB_PROCESSES="2",
            WORKER_CONCURRENCY="1",
            PROXY_LISTEN=f"127.0.0.1:{port}",
            PROXY_TLS_CERT=str(cert),
            PROXY_TLS_KEY=str(key),
            PROXY_CLIENT_TIMEOUT=str(CLIENT_TIMEOUT),
            HTTPS="1",
            ALLOWED_HOSTS="127.0.0.1",
        )
        env.pop("RUN_DIR", None)
        out = start([sys.executable, "-m", "ops.serve"], env=env, cwd=ROOT)
        try:
            run_dir = Path(out.expect(r"run directory (\S+)").group(1))
            tls = ssl.create_default_context(cafile=str(cert))
            served = Layout(out=out, port=port, tls=tls, run_dir=run_dir)
            for path in (run_dir / "web-1.sock", run_dir / "web-2.sock"):
                wait_until(partial(_accepting, path), timeout=90, what=f"{path.name} listening")
            yield served
        finally:
            # As an operator stops it (the last test checks that this stops everything); a
            # supervisor killed outright would leave its programs to their parent-death signal.
            if out.process.poll() is None:
                out.process.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    out.process.wait(timeout=60)
            stop(out)


def _read_response(sock: ssl.SSLSocket, data: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"closed before a response: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def _until_closed(sock: ssl.SSLSocket, timeout: float) -> bytes:
    """Everything the proxy sends until it closes the connection."""
    sock.settimeout(timeout)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except (ssl.SSLEOFError, ConnectionResetError):
        pass
    return received


def test_the_console_answers_through_the_proxy(layout: Layout) -> None:
    response = httpx.get(f"{layout.base}/readyz", verify=layout.tls)
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}
    assert response.headers["server"] == "nginx"


def test_a_64_mib_body_is_refused_before_any_of_it_is_sent(layout: Layout) -> None:
    with layout.socket() as sock:
        sock.sendall(
            layout.head(
                "POST",
                "/api/v1/platforms/demo/handoffs",
                "Content-Type: application/json\r\nContent-Length: 67108864\r\n",
            )
        )
        started = time.monotonic()
        status, headers, body = _read_response(sock)  # not one byte of the body sent
    assert status == 413
    assert time.monotonic() - started < 1
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body) == TOO_LARGE  # the proxy's own answer: daphne never saw it


def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(layout: Layout) -> None:
    chunk = b"x" * 65536
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    with layout.socket() as sock:
        sock.sendall(
            layout.head(
                "POST",
                "/api/v1/platforms/demo/handoffs",
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
            )
        )
        answer = b""
        while sent < 64 * 1024 * 1024 and not answer:
            sock.sendall(frame)
            sent += len(chunk)
            # Has the proxy answered yet? (A readable socket alone proves nothing under TLS 1.3:
            # the server's session tickets arrive unasked.)
            sock.settimeout(0.001)
            with contextlib.suppress(TimeoutError, ssl.SSLWantReadError):
                answer = sock.recv(65536)
            sock.settimeout(10)
        status, _, body = _read_response(sock, answer)
    assert status == 413
    assert json.loads(body) == TOO_LARGE
    assert sent < 4 * 1024 * 1024  # the limit is about 1 MiB; the rest was never asked for


def test_a_declared_body_that_never_comes_is_cut_off(layout: Layout) -> None:
    with layout.socket() as sock:
        sock.sendall(
            layout.head(
                "POST",
                "/api/v1/platforms/demo/handoffs",
                "Content-Type: application/json\r\nContent-Length: 5000\r\n",
            )
        )
        started = time.monotonic()
        received = _until_closed(sock, timeout=CLIENT_TIMEOUT * 5)
        held = time.monotonic() - started
    assert CLIENT_TIMEOUT - 0.5 < held < CLIENT_TIMEOUT * 3
    assert received == b"" or received.startswith(b"HTTP/1.1 408")


def test_headers_that_stop_half_way_are_cut_off(layout: Layout) -> None:
    with layout.socket() as sock:
        sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{layout.port}\r\n".encode())
        started = time.monotonic()
        received = _until_closed(sock, timeout=CLIENT_TIMEOUT * 5)
        held = time.monotonic() - started
    assert CLIENT_TIMEOUT - 0.5 < held < CLIENT_TIMEOUT * 3
    assert not received.startswith(b"HTTP/1.1 200")


def test_dashboards_connect_through_the_proxy_which_alone_says_the_scheme(
    layout: Layout,
) -> None:
    cookie = session_cookie(make_staff("casey"))
    url = f"wss://127.0.0.1:{layout.port}/ws/queue/"
    # A client claiming plain http is overruled: the console hears https from its proxy and
    # takes the page's https origin as its own (HTTPS=1 trusts X-Forwarded-Proto).
    headers = {
        "Cookie": f"sessionid={cookie}",
        "Origin": layout.base,
        "X-Forwarded-Proto": "http",
    }
    with connect(url, ssl=layout.tls, additional_headers=headers, open_timeout=15) as ws:
        first = json.loads(ws.recv(timeout=15))
    assert first["type"] == "queue.snapshot"
    # So an http origin is another site's page, whatever the client says of the scheme.
    headers["Origin"] = f"http://127.0.0.1:{layout.port}"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, ssl=layout.tls, additional_headers=headers, open_timeout=15)
    assert refused.value.response.status_code == 403


def test_daphne_logs_the_client_the_proxy_saw(layout: Layout) -> None:
    response = httpx.get(
        f"{layout.base}/no-such-page-xff-probe",
        headers={"X-Forwarded-For": "203.0.113.7"},
        verify=layout.tls,
    )
    assert response.status_code == 404
    # The console's own access line (JSON; daphne runs with -v 0) names the client the proxy
    # saw, not the one the request claimed to be.
    logged = layout.out.expect(
        r'\{[^\n]*"logger": "handoff.access"[^\n]*"status": 404[^\n]*\}', timeout=10
    )
    line = json.loads(logged.group(0))
    assert line["client"].startswith("127.0.0.1")
    assert "203.0.113.7" not in logged.group(0)


def test_a_killed_daphne_is_restarted_and_no_request_fails_meanwhile(layout: Layout) -> None:
    (old,) = layout.pids("web-1")
    os.kill(old, signal.SIGKILL)
    with httpx.Client(verify=layout.tls) as client:
        statuses = [client.get(f"{layout.base}/healthz").status_code for _ in range(20)]
    assert statuses == [200] * 20  # the proxy sent them all to web-2
    layout.out.expect(rf"web-1 \(pid {old}\) killed by SIGKILL")
    layout.out.expect(rf"started web-1 \(pid (?!{old}\))\d+\)")
    wait_until(lambda: _accepting(layout.run_dir / "web-1.sock"), timeout=90, what="web-1 back")
    assert httpx.get(f"{layout.base}/readyz", verify=layout.tls).status_code == 200


def test_sigterm_stops_every_process_of_the_layout(layout: Layout) -> None:
    # Last in this module: it ends the layout.
    started = [int(p) for p in re.findall(r"started \S+ \(pid (\d+)\)", layout.out.text())]
    everyone = started + [pid for parent in started for pid in _children(parent)]
    assert len(everyone) > len(started)  # nginx's workers, the worker's pool
    layout.out.process.send_signal(signal.SIGTERM)
    assert layout.out.process.wait(timeout=60) == 0
    assert [pid for pid in everyone if not gone(pid)] == []
    assert not layout.run_dir.exists()


def _children(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found.append(int(entry))
    return found
