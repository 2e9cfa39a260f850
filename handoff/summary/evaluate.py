"""Run the summary engine over the labelled evaluation set and report how it does.

``python -m handoff.summary.evaluate [path.jsonl ...]`` prints the tier confusion matrix, the
per-indicator precision, recall and support, and the cases the engine got wrong.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handoff.summary.engine import RuleEngine, SummaryEngine
from handoff.summary.lexicon import INDICATOR_CODES, MEANS_KINDS
from handoff.summary.types import TIER_ORDER, TIERS, Summary, TranscriptLine

DEFAULT_SET = Path(__file__).resolve().parents[2] / "tests" / "summary" / "eval_set.jsonl"
# Findings scored like indicators, beside the indicator codes.
EXTRA_LABELS: tuple[str, ...] = (
    *(f"means:{k}" for k in MEANS_KINDS),
    "flag:attempt_in_progress",
    "flag:minor",
    "flag:risk_to_others",
)


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Report:
    cases: int = 0
    confusion: dict[str, dict[str, int]] = field(
        default_factory=lambda: {t: dict.fromkeys(TIERS, 0) for t in TIERS}
    )
    scores: dict[str, Score] = field(
        default_factory=lambda: {c: Score() for c in (*INDICATOR_CODES, *EXTRA_LABELS)}
    )
    tier_exact: int = 0
    under_triaged: list[str] = field(default_factory=list)  # suggested below expected
    imminent_below_high: list[str] = field(default_factory=list)
    language_errors: list[str] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)
    summaries: dict[str, Summary] = field(default_factory=dict)

    @property
    def tier_accuracy(self) -> float:
        return self.tier_exact / self.cases if self.cases else 1.0


def load_cases(paths: Iterable[Path] = (DEFAULT_SET,)) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            cases.extend(json.loads(line) for line in fh if line.strip())
    return cases


def transcript_of(case: dict[str, Any]) -> list[TranscriptLine]:
    return [TranscriptLine(role=m["role"], text=m["text"]) for m in case["transcript"]]


def predicted_labels(summary: Summary) -> set[str]:
    labels = {i.code for i in summary.indicators}
    labels |= {f"means:{m.kind}" for m in summary.means if m.access is not False}
    if summary.attempt_in_progress:
        labels.add("flag:attempt_in_progress")
    if summary.minor_signs:
        labels.add("flag:minor")
    if summary.risk_to_others:
        labels.add("flag:risk_to_others")
    return labels


def expected_labels(expected: dict[str, Any]) -> set[str]:
    labels = set(expected.get("indicators", []))
    labels |= {f"means:{k}" for k in expected.get("means", [])}
    for flag in ("attempt_in_progress", "minor", "risk_to_others"):
        if expected.get(flag):
            labels.add(f"flag:{flag}")
    return labels


def evaluate(cases: Sequence[dict[str, Any]], engine: SummaryEngine | None = None) -> Report:
    engine = engine or RuleEngine()
    report = Report()
    for case in cases:
        summary = engine.summarize(transcript=transcript_of(case))
        report.summaries[case["id"]] = summary
        expected = case["expected"]
        report.cases += 1
        want, got = expected["tier"], summary.suggested_tier
        report.confusion[want][got] += 1
        report.tier_exact += want == got
        if TIER_ORDER[got] < TIER_ORDER[want]:
            report.under_triaged.append(case["id"])
        if want == "imminent" and TIER_ORDER[got] < TIER_ORDER["high"]:
            report.imminent_below_high.append(case["id"])
        lang = expected.get("language", "en")
        if summary.language != lang or summary.assessable != (lang == "en"):
            report.language_errors.append(f"{case['id']}: {summary.language} (want {lang})")
        want_labels, got_labels = expected_labels(expected), predicted_labels(summary)
        for label in want_labels | got_labels:
            score = report.scores.setdefault(label, Score())
            if label in want_labels and label in got_labels:
                score.tp += 1
            elif label in got_labels:
                score.fp += 1
            else:
                score.fn += 1
        missing, extra = want_labels - got_labels, got_labels - want_labels
        if missing or extra or want != got:
            report.mistakes.append(
                f"{case['id']}: tier {want}->{got}"
                + (f" missing {sorted(missing)}" if missing else "")
                + (f" extra {sorted(extra)}" if extra else "")
            )
    return report


def format_report(report: Report, *, mistakes: bool = True) -> str:
    out: list[str] = [
        f"cases: {report.cases}",
        "",
        "tier confusion (rows: expected, columns: suggested)",
    ]
    out.append(f"{'':>10}" + "".join(f"{t:>10}" for t in TIERS))
    for want in TIERS:
        out.append(f"{want:>10}" + "".join(f"{report.confusion[want][t]:>10}" for t in TIERS))
    out.append("")
    out.append(f"tier exact: {report.tier_exact}/{report.cases} ({report.tier_accuracy:.3f})")
    out.append(f"suggested below expected: {len(report.under_triaged)}")
    out.append(f"imminent suggested below high: {len(report.imminent_below_high)}")
    out.append(f"language errors: {len(report.language_errors)}")
    out.append("")
    out.append(
        f"{'indicator':<28}{'precision':>10}{'recall':>10}{'support':>9}{'tp':>5}{'fp':>5}{'fn':>5}"
    )
    for label, s in report.scores.items():
        out.append(
            f"{label:<28}{s.precision:>10.3f}{s.recall:>10.3f}{s.support:>9}{s.tp:>5}{s.fp:>5}{s.fn:>5}"
        )
    if mistakes and report.mistakes:
        out.append("")
        out.append("cases with any difference:")
        out.extend("  " + m for m in report.mistakes)
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    show_mistakes = "--mistakes" in args
    paths = [Path(a) for a in args if not a.startswith("--")] or [DEFAULT_SET]
    print(format_report(evaluate(load_cases(paths)), mistakes=show_mistakes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
