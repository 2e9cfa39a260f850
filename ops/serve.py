"""The production layout on one machine, under one supervisor (`make serve`):

    nginx  ->  WEB_PROCESSES daphne processes (unix sockets)  ->  PostgreSQL, Redis
               one Celery worker, one Celery beat

nginx comes from Debian's packages (scripts/install.sh --proxy) and runs in the foreground
under the supervisor with a configuration written at start from
deploy/nginx/console.conf.template, the same template compose.yaml's proxy uses. Everything the
layout writes goes under RUN_DIR: the daphne sockets, nginx's configuration, pid and request
buffers, beat's schedule, and PROMETHEUS_MULTIPROC_DIR, which every process is given.

Migrations and static files are the caller's (scripts/serve.sh runs both first).
"""

import contextlib
import importlib
import logging
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from ops.supervisor import Program, Supervisor, configure_logging

ROOT = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "console.conf.template"
PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")
# nginx's `listen` takes an address:port or a port; nothing else may reach its configuration.
LISTEN = re.compile(r"(?:(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):)?\d{1,5}")

# A file path written into nginx's configuration as it is.
SAFE_PATH = re.compile(r"[^\s;{}'\"$\\]+")

logger = logging.getLogger("serve")


class LayoutError(Exception):
    """The environment does not describe a layout that can run; the message says why."""


@dataclass(frozen=True)
class Layout:
    """Where everything lives and how many of each; read from the environment."""

    run_dir: Path
    web_processes: int
    worker_concurrency: int
    listen: str
    tls_cert: str
    tls_key: str
    client_timeout: int
    max_body: int
    nginx: str
    metrics_dir: Path

    @property
    def sockets(self) -> list[Path]:
        return [self.run_dir / f"web-{i}.sock" for i in range(1, self.web_processes + 1)]

    @property
    def nginx_dir(self) -> Path:
        return self.run_dir / "nginx"


def _int(env: Mapping[str, str], name: str, default: int, *, least: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise LayoutError(f"{name} must be a whole number, got {raw!r}") from None
    if value < least:
        raise LayoutError(f"{name} must be at least {least}, got {value}")
    return value


def _console_settings() -> ModuleType:
    """The console's settings module, read as a plain module (no Django set-up): it checks the
    environment the way every process of the layout will, and it holds the body limit."""
    try:
        return importlib.import_module("config.settings")
    except Exception as exc:  # ImproperlyConfigured, a bad integer: say it before starting
        raise LayoutError(f"settings: {exc}") from exc


def nginx_binary() -> str:
    """Debian installs nginx in /usr/sbin, which is not on every user's PATH."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise LayoutError("nginx is not installed (scripts/install.sh --proxy installs it)")
    return found


def read_layout(env: Mapping[str, str], run_dir: Path) -> Layout:
    settings = _console_settings()
    if settings.EMBEDDED or not settings.DATABASE_URL or not settings.REDIS_URL:
        raise LayoutError(
            "the production layout needs DATABASE_URL (PostgreSQL) and REDIS_URL (Redis); "
            "without them use `make demo`"
        )
    cores = os.cpu_count() or 1
    listen = env.get("PROXY_LISTEN", "").strip() or "0.0.0.0:8000"
    if not LISTEN.fullmatch(listen):
        raise LayoutError(f"PROXY_LISTEN must be a port or address:port, got {listen!r}")
    cert, key = env.get("PROXY_TLS_CERT", "").strip(), env.get("PROXY_TLS_KEY", "").strip()
    if bool(cert) != bool(key):
        raise LayoutError("set both PROXY_TLS_CERT and PROXY_TLS_KEY, or neither")
    for path in (cert, key):
        if path and not SAFE_PATH.fullmatch(path):
            raise LayoutError(f"TLS file paths may not hold spaces, quotes, ; {{ }} or $: {path!r}")
        if path and not Path(path).is_file():
            raise LayoutError(f"TLS file not found: {path}")
    return Layout(
        run_dir=run_dir,
        web_processes=_int(env, "WEB_PROCESSES", cores),
        worker_concurrency=_int(env, "WORKER_CONCURRENCY", cores),
        listen=listen,
        tls_cert=str(Path(cert).resolve()) if cert else "",
        tls_key=str(Path(key).resolve()) if key else "",
        client_timeout=_int(env, "PROXY_CLIENT_TIMEOUT", 10),
        max_body=int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
        nginx=nginx_binary(),
        metrics_dir=Path(env.get("PROMETHEUS_MULTIPROC_DIR", "").strip() or run_dir / "prometheus"),
    )


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill in ${NAME} placeholders, as the nginx image's envsubst would; every one must be
    known."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise LayoutError(f"no value for ${{{name}}} in {NGINX_TEMPLATE.name}")
        return values[name]

    return PLACEHOLDER.sub(value, template)


def nginx_config(layout: Layout) -> Path:
    """Write nginx's configuration under RUN_DIR; returns the main file."""
    directory = layout.nginx_dir
    directory.mkdir(parents=True, exist_ok=True)
    tls = ""
    listen = layout.listen
    if layout.tls_cert:
        listen += " ssl"
        tls = (
            f"ssl_certificate {layout.tls_cert};\n"
            f"    ssl_certificate_key {layout.tls_key};\n"
            "    ssl_protocols TLSv1.2 TLSv1.3;"
        )
    upstreams = "\n    ".join(f"server unix:{path} max_fails=0;" for path in layout.sockets)
    site = render(
        NGINX_TEMPLATE.read_text(),
        {
            "UPSTREAM_SERVERS": upstreams,
            "PROXY_LISTEN": listen,
            "PROXY_TLS": tls,
            "PROXY_MAX_BODY": str(layout.max_body),
            "PROXY_CLIENT_TIMEOUT": str(layout.client_timeout),
        },
    )
    (directory / "console.conf").write_text(site)
    temp_paths = "\n".join(
        f"    {kind}_temp_path {directory / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = directory / "nginx.conf"
    main.write_text(
        "# Written by ops/serve.py at each start; edit deploy/nginx/console.conf.template.\n"
        "daemon off;\n"
        "worker_processes auto;\n"
        f"pid {directory / 'nginx.pid'};\n"
        "error_log stderr warn;\n"
        "events { worker_connections 8192; }\n"
        "http {\n"
        "    default_type application/octet-stream;\n"
        "    access_log off;  # daphne logs every request it answers\n"
        f"{temp_paths}\n"
        f"    include {directory / 'console.conf'};\n"
        "}\n"
    )
    return main


def _endpoint_quoted(path: Path) -> str:
    """A path inside a Twisted endpoint description, where `:` and `\\` are special."""
    return str(path).replace("\\", "\\\\").replace(":", "\\:")


def programs(layout: Layout, env: Mapping[str, str]) -> list[Program]:
    python = sys.executable
    child_env = {
        **env,
        "PYTHONUNBUFFERED": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(layout.metrics_dir),
    }
    web = [
        Program(
            name=f"web-{i}",
            argv=[
                python,
                "-m",
                "daphne",
                # The console logs JSON lines itself (handoff.monitoring.logs); daphne's own
                # plain-text access log stays out of them.
                "-v",
                "0",
                # Room for a few hundred dashboards reconnecting at once (the default is 50).
                "--endpoint",
                f"unix:{_endpoint_quoted(path)}:backlog=1024",
                "--proxy-headers",
                # A handshake that waits behind a reconnect wave is finished, not dropped (the
                # default 5 s dropped them, and each page then waited longer to try again).
                "--websocket_connect_timeout",
                "30",
                "config.asgi:application",
            ],
            env=child_env,
        )
        for i, path in enumerate(layout.sockets, start=1)
    ]
    celery = [python, "-m", "celery", "-A", "config", "-q"]  # -q: no banner among the JSON
    return [
        *web,
        Program(
            name="worker",
            argv=[
                *celery,
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(layout.worker_concurrency),
                "--hostname",
                f"worker-{os.getpid()}@{socket.gethostname()}",
            ],
            env=child_env,
        ),
        Program(
            name="beat",
            argv=[
                *celery,
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(layout.run_dir / "celerybeat-schedule"),
            ],
            env=child_env,
        ),
        Program(
            name="proxy",
            argv=[layout.nginx, "-e", "stderr", "-p", str(layout.nginx_dir), "-c", "nginx.conf"],
            env=child_env,
            # Fast shutdown: open dashboards are cut at once (their pages reconnect), instead of
            # holding the stop until every socket closes.
            stop_signal=signal.SIGTERM,
            stop_wave=0,
        ),
    ]


def prepare_metrics_dir(path: Path) -> None:
    """prometheus_client's multiprocess files must not outlive the processes that wrote them:
    start from an empty directory."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


@dataclass(frozen=True)
class MetricsHook:
    """When a process of the layout ends, prometheus_client (if the console uses it) drops the
    live gauges that process wrote, as its multiprocess mode asks."""

    metrics_dir: Path

    def __call__(self, name: str, pid: int) -> None:
        try:
            multiprocess = importlib.import_module("prometheus_client.multiprocess")
        except ImportError:
            return
        multiprocess.mark_process_dead(pid, str(self.metrics_dir))


@contextlib.contextmanager
def run_directory(env: Mapping[str, str]) -> Iterator[Path]:
    """RUN_DIR when set (kept afterwards), else a fresh private directory removed at exit. The
    proxy's workers (nobody, when started by root) must reach the sockets in it."""
    configured = env.get("RUN_DIR", "").strip()
    if configured:
        path = Path(configured).resolve()
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix="handoff-run-"))
    path.chmod(0o711)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main() -> int:
    configure_logging()
    env = dict(os.environ)
    with run_directory(env) as run_dir:
        try:
            layout = read_layout(env, run_dir)
            nginx_config(layout)
        except LayoutError as exc:
            print(f"make serve: {exc}", file=sys.stderr)
            return 2
        for path in layout.sockets:  # left by a previous run that was killed
            path.unlink(missing_ok=True)
        prepare_metrics_dir(layout.metrics_dir)
        logger.info(
            "serving on %s%s: %d web process(es), worker concurrency %d, run directory %s",
            layout.listen,
            " (TLS)" if layout.tls_cert else "",
            layout.web_processes,
            layout.worker_concurrency,
            run_dir,
        )
        supervisor = Supervisor(programs(layout, env), on_exit=MetricsHook(layout.metrics_dir))
        return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
