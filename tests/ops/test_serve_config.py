"""The production layout refuses an environment it cannot run, saying why, before it starts
anything; and the nginx configuration it writes is one nginx accepts."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ops.serve import LayoutError, nginx_binary, nginx_config, read_layout, render

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PROXY_LISTEN": "8000; include /etc/passwd"}, "PROXY_LISTEN must be a port"),
        ({"WEB_PROCESSES": "0"}, "WEB_PROCESSES must be at least 1"),
        ({"WORKER_CONCURRENCY": "two"}, "WORKER_CONCURRENCY must be a whole number"),
        ({"PROXY_TLS_CERT": "/etc/hostname"}, "set both PROXY_TLS_CERT and PROXY_TLS_KEY"),
        (
            {"PROXY_TLS_CERT": "/etc/ssl/a;b", "PROXY_TLS_KEY": "/etc/ssl/k"},
            "TLS file paths may not hold",
        ),
        (
            {"PROXY_TLS_CERT": "/nonexistent.pem", "PROXY_TLS_KEY": "/nonexistent.key"},
            "TLS file not found",
        ),
    ],
)
def test_a_bad_environment_is_refused_with_the_reason(
    env: dict[str, str], message: str, tmp_path: Path
) -> None:
    with pytest.raises(LayoutError, match=message):
        read_layout(env, tmp_path)


def test_a_placeholder_without_a_value_is_refused() -> None:
    with pytest.raises(LayoutError, match="no value for"):
        render("listen ${PROXY_LISTEN}; ${SOMETHING_ELSE}", {"PROXY_LISTEN": "80"})


def test_without_postgresql_and_redis_make_serve_says_to_use_make_demo() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    result = subprocess.run(
        [sys.executable, "-m", "ops.serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "needs DATABASE_URL (PostgreSQL) and REDIS_URL (Redis)" in result.stderr


def test_nginx_accepts_the_configuration_written(tmp_path: Path) -> None:
    try:
        binary = nginx_binary()
    except LayoutError:
        pytest.skip("nginx is not installed (scripts/install.sh --proxy installs it)")
    layout = read_layout({"PROXY_LISTEN": "127.0.0.1:8000", "WEB_PROCESSES": "3"}, tmp_path)
    main = nginx_config(layout)
    site = (layout.nginx_dir / "console.conf").read_text()
    assert site.count("server unix:") == 3
    assert "client_max_body_size 1049600;" in site
    result = subprocess.run(
        [binary, "-t", "-e", "stderr", "-p", str(layout.nginx_dir), "-c", main.name],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
