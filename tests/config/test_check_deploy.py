"""`manage.py check --deploy` is clean with HTTPS=1, in production style (PostgreSQL and Redis
named) and in the embedded default; and what HTTPS=1 means for a request: plain http is sent to
https except the load balancer's probes, and https answers carry HSTS and secure cookies."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOST = "console.example.org"


def _environment(mode: str, data_dir: Path) -> dict[str, str]:
    """A deployment's environment: nothing of the test run's own switches."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"TESTING", "DEBUG", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"}
    }
    env |= {
        "HTTPS": "1",
        "ALLOWED_HOSTS": HOST,
        "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
        "DATA_DIR": str(data_dir),
        "STATIC_ROOT": str(data_dir / "static"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    if mode == "production":
        env |= {
            "DATABASE_URL": os.environ.get("DATABASE_URL")
            or "postgres://handoff@127.0.0.1/handoff",
            "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "FIELD_ENCRYPTION_KEYS": os.environ.get("FIELD_ENCRYPTION_KEYS")
            or "k1:ZmRlLXRlc3Qta2V5LW9ubHktMzItYnl0ZXMtbG9uZyE=",
        }
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("mode", ["production", "embedded"])
def test_check_deploy_is_clean_with_https(mode: str, tmp_path: Path) -> None:
    done = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "DEBUG"], _environment(mode, tmp_path)
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "System check identified no issues" in output, output


# Run in the deployment's environment: Django's test client, through the whole middleware stack.
REQUESTS = f"""
import json
import django
django.setup()
from django.test import Client

http = Client(HTTP_HOST="{HOST}")
https = Client(HTTP_HOST="{HOST}", HTTP_X_FORWARDED_PROTO="https")
page = https.get("/accounts/login/")
print(json.dumps({{
    "http page": [http.get("/accounts/login/").status_code,
                  http.get("/accounts/login/").get("Location")],
    "http probe": http.get("/healthz").status_code,
    "https page": page.status_code,
    "hsts": page.get("Strict-Transport-Security"),
    "csrf cookie secure": page.cookies["csrftoken"]["secure"],
}}))
"""


def test_https_means_redirects_hsts_and_secure_cookies(tmp_path: Path) -> None:
    done = _run(["-c", REQUESTS], _environment("embedded", tmp_path))
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["http page"] == [301, f"https://{HOST}/accounts/login/"]
    # A load balancer probes the process itself over plain http.
    assert seen["http probe"] == 200
    assert seen["https page"] == 200
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert seen["csrf cookie secure"] is True
