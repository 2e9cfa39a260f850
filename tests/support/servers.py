"""Start real server processes for end-to-end tests and wait for the line that says they listen.

Everything a server prints is also written to a file of its own in `log_dir()` (one folder per
test session), so a test can read every line the suite's servers wrote
(tests/monitoring/test_logs.py searches them for personal data).
"""

import itertools
import os
import queue
import random
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Set by the session fixture in tests/conftest.py (under pytest's temporary folder).
LOG_DIR: Path | None = None
_numbers = itertools.count(1)


def log_dir() -> Path:
    """The folder holding every server's output in this test session."""
    global LOG_DIR
    if LOG_DIR is None:
        LOG_DIR = Path(tempfile.mkdtemp(prefix="handoff-server-logs-"))
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    return LOG_DIR


def free_port() -> int:
    """A port nothing listens on: any the system offers, or one in TEST_PORTS ("18500-18599")
    when several test runs share a machine and each keeps to its own range."""
    span = os.environ.get("TEST_PORTS", "")
    candidates = [0]
    if span:
        low, _, high = span.partition("-")
        candidates = list(range(int(low), int(high) + 1))
        random.shuffle(candidates)
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise RuntimeError(f"no free port in TEST_PORTS={span}")


@dataclass
class Server:
    process: subprocess.Popen[str]
    log: Path
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
    program = next((a for a in args if a not in {"uv", "run"} and not a.startswith("-")), "server")
    name = Path(program).name
    server = Server(process, log_dir() / f"{next(_numbers):03d}-{name}-{process.pid}.log")
    seen: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        with server.log.open("a", encoding="utf-8") as log:
            for line in process.stdout:
                log.write(line)
                log.flush()
                server.lines.append(line)
                seen.put(line)
        seen.put(None)

    pumping = threading.Thread(target=pump, daemon=True)
    pumping.start()
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
        pumping.join(timeout=10)  # its last lines are in the log file before anyone reads it


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
    *,
    database_name: str,
    port: int | None = None,
    redis_url: str | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """A real daphne serving config.asgi:application; yields its base URL. `redis_url` points
    it at a Redis other than the tests' own; `env` adds to (or overrides) its environment."""
    port = port or free_port()
    environment = console_env(database_name=database_name)
    if redis_url:
        environment["REDIS_URL"] = redis_url
    environment.update(env or {})
    args = [
        "uv",
        "run",
        "--frozen",
        "daphne",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "-v",
        "0",  # as in production: the console logs each request itself, as JSON
        "config.asgi:application",
    ]
    with server_process(args, env=environment, ready="Listening on TCP address"):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def celery_worker(
    *, database_name: str, redis_url: str, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """A real Celery worker (one process, no banner) taking the tasks queued in `redis_url`,
    a Redis of the test's own: the tests' shared one holds tasks other tests left queued."""
    environment = console_env(database_name=database_name)
    environment["REDIS_URL"] = redis_url
    if os.geteuid() == 0:
        # Tests here run as root, which Celery warns of on stderr before logging is set up.
        environment["PYTHONWARNINGS"] = "ignore:You're running the worker with superuser"
    environment.update(env or {})
    args = [
        "uv",
        "run",
        "--frozen",
        "celery",
        "-A",
        "config",
        "--quiet",
        "worker",
        "--pool",
        "solo",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "INFO",
    ]
    with server_process(args, env=environment, ready=" ready.") as server:
        yield server


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
