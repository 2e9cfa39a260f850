"""The README's first command, `make demo`, serves a console that accepts a signed handoff."""

import json
import re
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks import Webhook

from handoff.demo.sample import sample_handoff
from tests.support.servers import embedded_env, free_port, server_process

pytestmark = pytest.mark.slow


def test_make_demo_accepts_a_signed_handoff(tmp_path) -> None:
    port = free_port()
    with server_process(
        ["make", "--no-print-directory", "demo", f"PORT={port}"],
        env=embedded_env(tmp_path),
        ready="Listening on TCP address",
    ) as server:
        output = "".join(server.lines)
        ready_line = next(line for line in server.lines if line.startswith("DEMO-READY "))
        demo = json.loads(ready_line.removeprefix("DEMO-READY "))
        assert "embedded (SQLite, in-process)" in output
        assert {"counselor", "supervisor"} <= set(demo["accounts"])
        assert "post_handoff" in output  # the one-line example

        body = json.dumps(sample_handoff(level="imminent")).encode()
        msg_id = f"msg_{uuid.uuid4().hex}"
        now = datetime.now(tz=UTC)
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(demo["inbound_secret"]).sign(msg_id, now, body.decode()),
            "content-type": "application/json",
        }
        base = f"http://127.0.0.1:{port}"
        response = httpx.post(
            f"{base}/api/v1/platforms/demo/handoffs", content=body, headers=headers, timeout=10
        )
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "queued"
        assert httpx.get(f"{base}/readyz", timeout=5).json()["checks"]["database"] == "ok"

        # The demo's second factor is off, every page says so, and the printed password signs in.
        with httpx.Client(base_url=base, timeout=10) as browser:
            login = browser.get("/accounts/login/")
            assert 'data-testid="second-factor-off"' in login.text
            assert 'name="otp_token"' not in login.text
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
            assert token is not None
            signed = browser.post(
                "/accounts/login/",
                data={
                    "csrfmiddlewaretoken": token.group(1),
                    "username": "counselor",
                    "password": demo["accounts"]["counselor"],
                },
            )
            assert signed.status_code == 302 and signed.headers["location"] == "/"
            home = browser.get("/")
            assert home.status_code == 200 and 'data-testid="second-factor-off"' in home.text
    assert (tmp_path / "handoff.sqlite3").exists()
