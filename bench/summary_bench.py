"""Benchmark the rule engine on transcripts of 10, 200 and 2,000 messages, on one core.

Prints summaries per second and p50/p99 milliseconds per transcript size, beside baselines
measured in the same run over the same text: the engine with its word cache emptied before every
run (see engine._CHUNK_MASKS; the bench repeats one transcript, so the plain row finds every
word cached), the engine without its literal prefilter (every rule over all the text, as before
the prefilter: the same summaries), ``json.dumps`` of the transcript, and one bare
``re.search`` pass over every message.
Run: ``python -m bench.summary_bench [--quick]``.
"""

from __future__ import annotations

import gc
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from handoff.summary import engine as engine_module
from handoff.summary.engine import RuleEngine
from handoff.summary.evaluate import load_cases, transcript_of
from handoff.summary.types import TranscriptLine

_BARE = re.compile(r"\bkill\s+myself\b", re.IGNORECASE)


def _transcript(size: int) -> list[TranscriptLine]:
    """Real conversations from the evaluation set, concatenated to the size wanted."""
    pool: list[TranscriptLine] = []
    for case in load_cases():
        if "non_english" not in case["tags"]:
            pool.extend(transcript_of(case))
    out: list[TranscriptLine] = []
    while len(out) < size:
        out.extend(pool[: size - len(out)])
    return out


def _time(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm up
    gc.collect()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times


def _pct(times: Sequence[float], q: float) -> float:
    return times[min(len(times) - 1, int(q * len(times)))] * 1000


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    quick = "--quick" in args
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    engine = RuleEngine()
    plain = RuleEngine()
    plain._prefilter = False
    print(f"{'messages':>8} {'what':<22} {'per s':>10} {'p50 ms':>9} {'p99 ms':>9}")
    for size, runs in ((10, 2000), (200, 400), (2000, 40)):
        runs = max(10, runs // 10) if quick else runs
        transcript = _transcript(size)
        raw: list[dict[str, str]] = [line.model_dump() for line in transcript]
        texts = [line.text for line in transcript]

        def run_engine(t: list[TranscriptLine] = transcript) -> object:
            return engine.summarize(transcript=t)

        def run_cold(t: list[TranscriptLine] = transcript) -> object:
            engine_module._CHUNK_MASKS.clear()  # every word read by the trigger regex again
            return engine.summarize(transcript=t)

        def run_plain(t: list[TranscriptLine] = transcript) -> object:
            return plain.summarize(transcript=t)

        def run_json(r: list[dict[str, str]] = raw) -> object:
            return json.dumps(r)

        def run_re(x: list[str] = texts) -> object:
            return [_BARE.search(s) for s in x]

        rows: list[tuple[str, Callable[[], object]]] = [
            ("rules engine", run_engine),
            ("rules, cold word cache", run_cold),
            ("baseline no prefilter", run_plain),
            ("baseline json.dumps", run_json),
            ("baseline re.search", run_re),
        ]
        for name, fn in rows:
            times = _time(fn, runs)
            mean = sum(times) / len(times)
            print(
                f"{size:>8} {name:<22} {1 / mean:>10.0f} {_pct(times, 0.5):>9.3f} "
                f"{_pct(times, 0.99):>9.3f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
