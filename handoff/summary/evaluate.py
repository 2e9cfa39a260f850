"""Run the summary engine over the labelled evaluation set and report how it does.

The set has two parts: the tuning part (``tests/summary/eval_set.jsonl``), which the rules may be
tuned on, and the held-out part (``tests/summary/eval_heldout.jsonl``), written apart and scored
only at the end. ``python -m handoff.summary.evaluate [--part tune|heldout|all] [--mistakes]``
prints, for each part present: the confusion of the person's level (the Columbia scale's five
levels) against the suggested tier, the tier confusion, the two figures that matter (behaviour
and attempt suggested high or imminent; supportive kept below high), the per-indicator precision,
recall and support, and with ``--mistakes`` the cases that differ. ``python -m
handoff.summary.evaluate path.jsonl ...`` scores other files as one part.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handoff.summary.engine import RuleEngine, SummaryEngine
from handoff.summary.language import LANGUAGE_NAMES
from handoff.summary.lexicon import INDICATOR_CODES, MEANS_KINDS
from handoff.summary.types import TIER_ORDER, TIERS, Summary, TranscriptLine

DEFAULT_SET = Path(__file__).resolve().parents[2] / "tests" / "summary" / "eval_set.jsonl"
HELDOUT_SET = DEFAULT_SET.with_name("eval_heldout.jsonl")
PARTS: dict[str, Path] = {"tune": DEFAULT_SET, "heldout": HELDOUT_SET}
# The person's own level, lowest first (Columbia scale, as labelled on first-person writing).
LEVELS: tuple[str, ...] = ("supportive", "indicator", "ideation", "behaviour", "attempt")
# Figure 1: these levels should be suggested high or imminent (aim: 0.9 or more).
HIGH_LEVELS: tuple[str, ...] = ("behaviour", "attempt")
HIGH_AIM = 0.9
# Figure 2: people who only support others should stay below high (aim: 0.8 or more).
SUPPORTIVE_AIM = 0.8
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
    levels: dict[str, dict[str, int]] = field(
        default_factory=lambda: {lv: dict.fromkeys(TIERS, 0) for lv in LEVELS}
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

    def _share(self, levels: Sequence[str], tiers: Sequence[str]) -> tuple[int, int]:
        total = sum(sum(self.levels[lv].values()) for lv in levels)
        hits = sum(self.levels[lv][t] for lv in levels for t in tiers)
        return hits, total

    @property
    def behaviour_attempt_high(self) -> tuple[int, int]:
        """Behaviour and attempt cases suggested high or imminent, and how many there are."""
        return self._share(HIGH_LEVELS, ("high", "imminent"))

    @property
    def supportive_below_high(self) -> tuple[int, int]:
        """Supportive cases suggested low or moderate, and how many there are."""
        return self._share(("supportive",), ("low", "moderate"))


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


def expected_language(case: dict[str, Any]) -> str:
    """The labelled language: ``expected.language``, else the language tag of a case tagged
    ``non_english`` ("es", "fr", ...), else English."""
    if "language" in case["expected"]:
        return str(case["expected"]["language"])
    if "non_english" in case["tags"]:
        return next((t for t in case["tags"] if t in LANGUAGE_NAMES and t != "en"), "other")
    return "en"


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
        level = case.get("level")
        if level in report.levels:
            report.levels[level][got] += 1
        report.tier_exact += want == got
        if TIER_ORDER[got] < TIER_ORDER[want]:
            report.under_triaged.append(case["id"])
        if want == "imminent" and TIER_ORDER[got] < TIER_ORDER["high"]:
            report.imminent_below_high.append(case["id"])
        lang = expected_language(case)
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


def _ratio(pair: tuple[int, int]) -> str:
    hits, total = pair
    return f"{hits}/{total} ({hits / total:.3f})" if total else "no cases"


def format_figures(report: Report) -> list[str]:
    """The level confusion and the two figures that matter."""
    out = ["level confusion (rows: labelled level, columns: suggested tier)"]
    out.append(f"{'':>10}" + "".join(f"{t:>10}" for t in TIERS) + f"{'total':>10}")
    for level in LEVELS:
        row = report.levels[level]
        out.append(
            f"{level:>10}" + "".join(f"{row[t]:>10}" for t in TIERS) + f"{sum(row.values()):>10}"
        )
    out.append("")
    out.append(
        f"behaviour+attempt suggested high or imminent: {_ratio(report.behaviour_attempt_high)}"
        f"  (aim >= {HIGH_AIM})"
    )
    out.append(
        f"supportive kept below high: {_ratio(report.supportive_below_high)}"
        f"  (aim >= {SUPPORTIVE_AIM})"
    )
    return out


def format_report(report: Report, *, mistakes: bool = True) -> str:
    out: list[str] = [f"cases: {report.cases}", ""]
    out += format_figures(report)
    out += ["", "tier confusion (rows: expected, columns: suggested)"]
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
    parser = argparse.ArgumentParser(prog="python -m handoff.summary.evaluate")
    parser.add_argument("paths", nargs="*", type=Path, help="score these files as one part")
    parser.add_argument("--part", choices=("tune", "heldout", "all"), default="all")
    parser.add_argument("--mistakes", action="store_true", help="list the cases that differ")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.paths:
        parts = [(", ".join(str(p) for p in args.paths), args.paths)]
    else:
        names = ("tune", "heldout") if args.part == "all" else (args.part,)
        parts = [(f"{name} part ({PARTS[name].name})", [PARTS[name]]) for name in names]
    for n, (title, paths) in enumerate(parts):
        print(("\n" if n else "") + "=" * 8 + f" {title} " + "=" * 8)
        missing = [p for p in paths if not p.exists()]
        if missing:
            print(f"not present: {', '.join(str(p) for p in missing)}")
            continue
        print(format_report(evaluate(load_cases(paths)), mistakes=args.mistakes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
