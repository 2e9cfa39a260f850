"""Start real server processes for end-to-end tests and wait for the line that says they listen."""

import os
import queue
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)


@contextmanager
def server_process(
    args: Sequence[str], *, env: dict[str, str], ready: str, timeout: float = 90
) -> Iterator[Server]:
    """Run `args`; yield once a line containing `ready` is printed (stdout and stderr merged)."""
    process = subprocess.Popen(
        list(args),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    server = Server(process)
    seen: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            server.lines.append(line)
            seen.put(line)
        seen.put(None)

    threading.Thread(target=pump, daemon=True).start()
    try:
        while True:
            line = seen.get(timeout=timeout)
            if line is None:
                raise RuntimeError("server exited:\n" + "".join(server.lines[-40:]))
            if ready in line:
                break
        yield server
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def embedded_env(data_dir: Path) -> dict[str, str]:
    """The environment of a fresh machine: no DATABASE_URL, no REDIS_URL, no keys."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "SECRET_KEY",
            "FIELD_ENCRYPTION_KEYS",
            "TESTING",
            "DJANGO_SETTINGS_MODULE",
        }
    }
    env["DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def console_env(*, database_name: str) -> dict[str, str]:
    """The test settings, pointed at the test database, for a daphne the tests start."""
    from django.conf import settings

    env = dict(os.environ)
    db = settings.DATABASES["default"]
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database_name}"
    )
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


@contextmanager
def daphne(
    *, database_name: str, port: int | None = None, redis_url: str | None = None
) -> Iterator[str]:
    """A real daphne serving config.asgi:application; yields its base URL. `redis_url` points
    it at a Redis other than the tests' own."""
    port = port or free_port()
    env = console_env(database_name=database_name)
    if redis_url:
        env["REDIS_URL"] = redis_url
    args = [
        "uv",
        "run",
        "--frozen",
        "daphne",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "config.asgi:application",
    ]
    with server_process(args, env=env, ready="Listening on TCP address"):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def redis_server(port: int) -> Iterator[str]:
    """A Redis of a test's own, keeping nothing on disk (as in production here); yields its URL.
    Leaving the block stops it, as a crash or a restart would."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (scripts/install.sh installs it)")
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with server_process(args, env=dict(os.environ), ready="Ready to accept connections"):
        yield f"redis://127.0.0.1:{port}/0"
