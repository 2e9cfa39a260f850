"""Shared pieces of the benchmarks: servers as subprocesses, the production-style environment,
a closed-loop load generator, percentiles and a plain-text table.

Every server is bound to 127.0.0.1 on a port the kernel picks (port 0), so several runs, or other
people's servers on the same machine, never collide.
"""

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent

# As scripts/test.sh sets them: throwaway values, never used outside this machine.
BENCH_SECRET_KEY = "bench-only-secret-key-not-for-production"  # noqa: S105
BENCH_ENCRYPTION_KEYS = "test:ZmRlLXRlc3Qta2V5LW9ubHktMzItYnl0ZXMtbG9uZyE="


def production_env() -> dict[str, str]:
    """The console in production style (PostgreSQL, Redis), on a database of its own so the
    benchmarks never touch the test suite's data. BENCH_DATABASE_URL / BENCH_REDIS_URL override."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/handoff_bench"
        ),
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2"),
        SECRET_KEY=BENCH_SECRET_KEY,
        FIELD_ENCRYPTION_KEYS=BENCH_ENCRYPTION_KEYS,
        DEBUG="0",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    # A value left in the caller's shell would change what is measured.
    for name in ("TESTING", "LOG_LEVEL", "ALLOWED_HOSTS", "HTTPS"):
        env.pop(name, None)
    return env


def _psql(database_url: str, sql: str) -> str:
    """One statement through psql against the server's maintenance database."""
    parts = urlsplit(database_url)
    command = [
        "psql",
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
        "-d",
        "postgres",
        "-tAc",
        sql,
    ]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def _database_name(database_url: str) -> str:
    name = urlsplit(database_url).path.lstrip("/")
    # Only plain names, so they can go into SQL text as they are.
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise ValueError(f"unexpected database name {name!r}")
    return name


def ensure_database(database_url: str) -> None:
    """Create the benchmark database when it is missing (the server must already be up)."""
    name = _database_name(database_url)
    if name not in _psql(database_url, "SELECT datname FROM pg_database").split():
        _psql(database_url, f'CREATE DATABASE "{name}"')


def recreate_database(database_url: str) -> None:
    """Drop the database and create it empty (the server must already be up). Only for a
    benchmark's own database: nobody else may be connected to it."""
    name = _database_name(database_url)
    _psql(database_url, f'DROP DATABASE IF EXISTS "{name}"')
    _psql(database_url, f'CREATE DATABASE "{name}"')


def database_sessions(database_url: str) -> int:
    """Connections ever opened to the database (PostgreSQL 14+): the difference across a run
    tells whether the server reuses its connections."""
    name = _database_name(database_url)
    rows = _psql(database_url, "SELECT datname, sessions FROM pg_stat_database").splitlines()
    return next(int(row.split("|")[1]) for row in rows if row.split("|")[0] == name)


def manage(*args: str, env: dict[str, str], stdin: str | None = None) -> str:
    """Run a manage.py command with this interpreter; its standard output, or an error with
    its standard error."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stderr[-4000:]}")
    return result.stdout


# --- Servers ------------------------------------------------------------------------------------


@dataclass
class Server:
    """A server process whose output goes to a file: a pipe nobody reads would block it once
    the access log filled the pipe's buffer."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    host: str = ""
    port: int = 0
    # Further processes accepting on the same socket (`daphne(processes=N)`).
    siblings: list["Server"] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def cpu_seconds(self) -> float:
        """User plus system CPU time the process (and its siblings) used so far, from /proc."""
        return self._own_cpu_seconds() + sum(s._own_cpu_seconds() for s in self.siblings)

    def _own_cpu_seconds(self) -> float:
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        # Fields after the command name, which is in parentheses and may hold spaces.
        fields = stat.rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")


def _wait_serving(server: Server, host: str, port: int, timeout: float) -> None:
    """Wait until the server answers an HTTP request on its socket (any answer will do). Daphne
    runs with `-v 0`, which logs nothing at start, so its log cannot say when it listens."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with {server.process.returncode} before serving:\n"
                f"{server.log_tail()}"
            )
        with contextlib.suppress(OSError), socket.create_connection((host, port), 1.0) as probe:
            probe.settimeout(1.0)
            probe.sendall(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            if probe.recv(1):
                return
        time.sleep(0.05)
    raise RuntimeError(f"{server.name} did not serve within {timeout:.0f} s:\n{server.log_tail()}")


def _stop(server: Server, grace: float = 10.0) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=grace)


@contextlib.contextmanager
def daphne(
    app: str,
    *,
    name: str,
    env: dict[str, str] | None = None,
    # The console takes 15 s to start here when the machine is busy.
    timeout: float = 90.0,
    preexec_fn: Callable[[], None] | None = None,
    processes: int = 1,
) -> Iterator[Server]:
    """`processes` daphne processes (one by default) serving `app` ("module:attribute") on
    127.0.0.1, started as the README's production command starts them, and always stopped on
    the way out. `preexec_fn` runs in each child before daphne starts (e.g.
    `raise_open_files`)."""
    log_dir = Path(tempfile.mkdtemp(prefix="bench-"))

    def spawn(server_name: str, where: list[str], pass_fds: tuple[int, ...] = ()) -> Server:
        log_path = log_dir / f"{server_name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                # -v 0: no plain-text access log; the console logs each request itself.
                [sys.executable, "-m", "daphne", "-v", "0", *where, app],
                cwd=ROOT,
                env=env if env is not None else dict(os.environ),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=preexec_fn,
                pass_fds=pass_fds,
            )
        return Server(name=server_name, process=process, log_path=log_path)

    # One listening socket of our own, handed to each process as a file descriptor (`daphne
    # --fd`): with several, the kernel gives each new connection to one of them, as systemd
    # socket activation does in the README's production layout.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    listener.set_inheritable(True)
    fd = listener.fileno()
    started: list[Server] = []
    try:
        for i in range(processes):
            server_name = name if processes == 1 else f"{name}-{i + 1}"
            started.append(spawn(server_name, ["--fd", str(fd)], pass_fds=(fd,)))
        host, port = listener.getsockname()
        for server in started:
            _wait_serving(server, host, port, timeout)
        first = started[0]
        first.host, first.port = host, port
        first.siblings = started[1:]
        yield first
    finally:
        listener.close()
        for server in started:
            _stop(server)


def raise_open_files(wanted: int = 65536) -> tuple[int, int]:
    """Raise this process's soft limit on open files towards `wanted` (never above the hard
    limit); returns the (soft, hard) limits now in force. Children inherit it, so it also serves
    as a `preexec_fn` for servers that hold one socket per client."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def process_open_files_limit(pid: int) -> str:
    """The soft limit on open files of a running process, from /proc (for the report)."""
    with contextlib.suppress(OSError):
        for text in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if text.startswith("Max open files"):
                return text.split()[3]
    return "?"


def run_setup(module: str, action: str, payload: Any, env: dict[str, str]) -> Any:
    """Run `python -m <module> --setup <action>` in a process of its own (with Django set up
    against the benchmark database), the payload as JSON on standard input; returns the JSON
    the action printed on its last line. Keeps Django and its connections out of the load
    generator's process."""
    result = subprocess.run(
        [sys.executable, "-m", module, "--setup", action],
        cwd=ROOT,
        env=env,
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"setup {action} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def setup_main(actions: dict[str, Callable[[Any], Any]], action: str) -> int:
    """The other side of `run_setup`: set Django up, run the action on the JSON read from
    standard input, print its result as one JSON line."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    result = actions[action](json.loads(sys.stdin.read() or "null"))
    print(json.dumps(result))
    return 0


def stop_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so `finally` blocks stop the servers."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


# --- Load -----------------------------------------------------------------------------------------


def skip_sniffio_lookup() -> None:
    """httpcore tries `import sniffio` on every async request; it is not installed here, and each
    failed import searches sys.path again (about 0.2 ms of the client's CPU per request, on the
    cores the server needs). A None entry in sys.modules makes that import fail at once."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


@dataclass
class Outcome:
    """What one closed-loop run saw: each answer's status and latency, and the wall time."""

    statuses: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds
    wall: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0

    @property
    def count(self) -> int:
        return len(self.statuses)

    def errors(self, expected: int) -> int:
        return sum(1 for status in self.statuses if status != expected)

    @property
    def rate(self) -> float:
        return self.count / self.wall if self.wall > 0 else 0.0


async def closed_loop(
    send: Callable[[int, int], Awaitable[int]],
    *,
    total: int,
    concurrency: int,
    max_seconds: float,
    server: Server | None = None,
) -> Outcome:
    """`concurrency` workers each send the next request as soon as their last one is answered,
    until `total` were sent or `max_seconds` passed. `send(worker, i)` sends request i on the
    worker's own connection and returns its status (0 for a transport error). CPU times are
    sampled around the run so the report can show what each side spent per request."""
    outcome = Outcome()
    next_index = 0
    deadline = time.perf_counter() + max_seconds

    async def worker(number: int) -> None:
        nonlocal next_index
        while next_index < total and time.perf_counter() < deadline:
            i = next_index
            next_index += 1
            started = time.perf_counter()
            status = await send(number, i)
            outcome.latencies.append(time.perf_counter() - started)
            outcome.statuses.append(status)

    server_cpu = server.cpu_seconds() if server else 0.0
    client_cpu = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    outcome.wall = time.perf_counter() - started
    outcome.client_cpu = time.process_time() - client_cpu
    outcome.server_cpu = (server.cpu_seconds() - server_cpu) if server else 0.0
    return outcome


# --- Figures --------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), interpolated between the closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], out: IO[str] | None = None
) -> None:
    """A plain table: the first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        )

    stream = out or sys.stdout
    print(line(cells[0]), file=stream)
    print("  ".join("-" * w for w in widths), file=stream)
    for row in cells[1:]:
        print(line(row), file=stream)


def machine() -> str:
    """One line naming the machine the figures come from."""
    model = ""
    with contextlib.suppress(OSError):
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    return (
        f"{os.cpu_count()} CPU ({model or platform.processor() or 'unknown'}){memory}, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def standard_arguments(description: str) -> argparse.ArgumentParser:
    """The options every benchmark takes, so scripts/bench.sh can pass them to all."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="console daphne processes sharing one listening socket (default 1)",
    )
    return parser
