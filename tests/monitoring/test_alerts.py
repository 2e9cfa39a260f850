"""ops/prometheus/alerts.yml: well formed, covering what a center must not miss, and reading
only metrics the console exports."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.support.metrics import TOKEN

RULES = Path(__file__).resolve().parents[2] / "ops" / "prometheus"
DURATION = re.compile(r"^(0|(\d+(ms|s|m|h|d|w|y))+)$")


def _rules() -> list[dict]:
    document = yaml.safe_load((RULES / "alerts.yml").read_text())
    assert set(document) == {"groups"}
    rules = []
    for group in document["groups"]:
        assert set(group) == {"name", "rules"} and group["rules"]
        rules += group["rules"]
    return rules


def test_every_rule_is_well_formed() -> None:
    rules = _rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert re.fullmatch(r"Handoff[A-Z][A-Za-z]+", rule["alert"])
        assert isinstance(rule["expr"], str) and rule["expr"].strip()
        assert DURATION.match(rule.get("for", "0s")), rule["alert"]
        assert rule["labels"]["severity"] in {"page", "warning"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_the_conditions_a_center_must_not_miss_have_an_alert() -> None:
    exprs = {rule["alert"]: rule["expr"] for rule in _rules()}

    def alerting_on(*needles: str) -> list[str]:
        return [name for name, expr in exprs.items() if all(n in expr for n in needles)]

    assert alerting_on("handoff_queue_oldest_wait_seconds", 'tier="imminent"')
    assert alerting_on("handoff_summary_lag_seconds")
    assert alerting_on("handoff_callbacks_failed_total")
    assert alerting_on("handoff_ready")


@pytest.mark.django_db
def test_the_rules_read_only_metrics_the_console_exports(settings) -> None:
    settings.METRICS_TOKEN = TOKEN
    scraped = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    exported = set()
    for family in text_string_to_metric_families(scraped.content.decode()):
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
        exported |= {family.name + s for s in suffixes.get(family.type, ("",))}
    used = {name for rule in _rules() for name in re.findall(r"\bhandoff_\w+", rule["expr"])}
    assert used and used <= exported, used - exported


def test_promtool_checks_the_rules_and_their_unit_tests() -> None:
    """Prometheus's own checker, where it is installed (Debian's `prometheus` package)."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian's prometheus package has it)")
    for command in (["check", "rules", "alerts.yml"], ["test", "rules", "alerts_test.yml"]):
        done = subprocess.run(
            [promtool, *command], cwd=RULES, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
