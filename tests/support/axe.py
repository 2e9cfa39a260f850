"""Run axe-core (node_modules/axe-core, installed by scripts/install.sh --browser) on a page.

The console's CSP refuses scripts it did not serve, so the page's context must be opened with
`bypass_csp=True` for the injected script to run.
"""

from pathlib import Path
from typing import Any

import pytest

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
# axe's defaults (WCAG 2.0-2.2 A/AA and best practices) plus the WCAG 2.2 minimum target size
# (24 px), which axe ships switched off.
OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}


def axe_violations(page: Any, *, impacts: tuple[str, ...] = BLOCKING) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now, at the given impacts: each with its rule id,
    what the rule asks, and the CSS selectors of the offending elements."""
    if not AXE_JS.exists():
        pytest.fail("axe-core is not installed (scripts/install.sh --browser installs it)")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_JS))
    results = page.evaluate("async (options) => await axe.run(document, options)", OPTIONS)
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [" ".join(map(str, n["target"])) for n in v["nodes"]],
            "why": [_first_reason(n["failureSummary"]) for n in v["nodes"]],
        }
        for v in results["violations"]
        if v["impact"] in impacts
    ]


def _first_reason(summary: str) -> str:
    """The first of axe's reasons ("Fix any of the following:" then one per line)."""
    lines = [line.strip() for line in summary.splitlines()[1:] if line.strip()]
    return lines[0] if lines else summary
