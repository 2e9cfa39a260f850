"""A platform's callback endpoint, for real: an HTTP server on 127.0.0.1 in a thread.

Every request is verified with the `standardwebhooks` package and the platform's outbound secret;
a request that does not verify is answered 401 and counted in `rejected`. Verified requests are
recorded as (webhook-id, parsed body) and also put on `arrivals`, so a test waits on the queue
instead of sleeping.

    with Receiver(secret, fail_times=3) as r:   # 500 three times per webhook-id, then 204
    with Receiver(secret, hang=True) as r:      # holds every request until the block ends
"""

import contextlib
import json
import queue
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from standardwebhooks import Webhook


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    body: dict[str, Any]
    answered: int


class Receiver:
    def __init__(self, secret: str, *, fail_times: int = 0, hang: bool = False) -> None:
        self.secret = secret
        self.fail_times = fail_times
        self.hang = hang
        self.deliveries: list[Delivery] = []
        self.rejected = 0
        self.arrivals: queue.Queue[Delivery] = queue.Queue()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/callbacks"

    def for_id(self, webhook_id: str) -> list[Delivery]:
        with self._lock:
            return [d for d in self.deliveries if d.webhook_id == webhook_id]

    def next(self, timeout: float = 10) -> Delivery:
        """The next verified request, as it arrives (before it is answered when hanging)."""
        return self.arrivals.get(timeout=timeout)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        try:
            body = Webhook(self.secret).verify(raw, headers)
        except Exception:
            with self._lock:
                self.rejected += 1
            self._answer(handler, 401)
            return
        webhook_id = headers["webhook-id"]
        with self._lock:
            # Each callback (webhook-id) fails `fail_times` times before it is accepted.
            seen = sum(1 for d in self.deliveries if d.webhook_id == webhook_id)
            code = 500 if seen < self.fail_times else 204
            delivery = Delivery(webhook_id, body, code)
            self.deliveries.append(delivery)
        self.arrivals.put(delivery)
        if self.hang:
            self.release.wait()
        self._answer(handler, code)

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, code: int) -> None:
        # The sender may have given up waiting and closed the connection.
        with contextlib.suppress(OSError):
            handler.send_response(code)
            if code == 500:
                # A body a sender must never store or log.
                payload = json.dumps({"error": "secret internals"}).encode()
                handler.send_header("content-type", "application/json")
                handler.send_header("content-length", str(len(payload)))
                handler.end_headers()
                handler.wfile.write(payload)
            else:
                handler.send_header("content-length", "0")
                handler.end_headers()

    def __enter__(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release.set()
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
