"""Benchmark the rule engine on transcripts of 10, 200 and 2,000 messages, and on a transcript
of 5,000 words of long first-person posts, on one core.

Prints summaries per second and p50/p99 milliseconds (wall clock, and CPU time of the thread)
per transcript size, beside baselines
measured in the same run over the same text: the engine with its word cache emptied before every
run (see engine._CHUNK_MASKS; the bench repeats one transcript, so the plain row finds every
word cached), the engine without its literal prefilter (every rule over all the text, as before
the prefilter: the same summaries), ``json.dumps`` of the transcript, and one bare
``re.search`` pass over every message. One more row per size runs the engine with
``gc.freeze()`` called before timing (everything alive moved out of the collector's reach), to
measure whether the worker should freeze after startup.
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


def _narrative(words: int) -> list[TranscriptLine]:
    """The long first-person narratives of the tuning set (posts of a few hundred to 1,500+
    words, with quotes, lists, emoji and formatting), concatenated until the person's messages
    hold ``words`` words; the last message is cut to make the count exact."""
    pool: list[TranscriptLine] = []
    for case in load_cases():
        if "long" in case["tags"] and len(case["transcript"]) <= 40:
            pool.extend(transcript_of(case))
    out: list[TranscriptLine] = []
    count = 0
    while count < words:
        for line in pool:
            if line.role == "user":
                left = words - count
                split = line.text.split(" ")
                if len(line.text.split()) > left:
                    line = TranscriptLine(role="user", text=" ".join(split[:left]))
                count += len(line.text.split())
            out.append(line)
            if count >= words:
                break
    return out


def _time(fn: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (this thread's) seconds per run, each sorted. On a shared machine the
    CPU time is the figure for "on one core": it leaves out the time other processes held it."""
    fn()  # warm up
    gc.collect()
    times = []
    cpu = []
    for _ in range(runs):
        start = time.perf_counter()
        cpu_start = time.thread_time()
        fn()
        cpu.append(time.thread_time() - cpu_start)
        times.append(time.perf_counter() - start)
    times.sort()
    cpu.sort()
    return times, cpu


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
    print(
        f"{'messages':>8} {'what':<22} {'per s':>10} {'p50 ms':>9} {'p99 ms':>9}"
        f" {'cpu p50':>9} {'cpu p99':>9}"
    )
    sizes: list[tuple[str, list[TranscriptLine], int]] = [
        (str(size), _transcript(size), runs) for size, runs in ((10, 2000), (200, 400), (2000, 40))
    ]
    long_posts = _narrative(5000)
    sizes.append((f"{len(long_posts)}/5kw", long_posts, 400))
    for size, transcript, runs in sizes:
        runs = max(10, runs // 10) if quick else runs
        raw: list[dict[str, str]] = [line.model_dump() for line in transcript]
        texts = [line.text for line in transcript]

        def run_engine(t: list[TranscriptLine] = transcript) -> object:
            return engine.summarize(transcript=t)

        def run_cold(t: list[TranscriptLine] = transcript) -> object:
            engine_module._CHUNK_MASKS.clear()  # every word read by the trigger regex again
            return engine.summarize(transcript=t)

        def run_frozen(t: list[TranscriptLine] = transcript) -> object:
            return engine.summarize(transcript=t)

        def run_plain(t: list[TranscriptLine] = transcript) -> object:
            return plain.summarize(transcript=t)

        def run_json(r: list[dict[str, str]] = raw) -> object:
            return json.dumps(r)

        def run_re(x: list[str] = texts) -> object:
            return [_BARE.search(s) for s in x]

        rows: list[tuple[str, Callable[[], object]]] = [
            ("rules engine", run_engine),
            ("rules, gc.freeze()", run_frozen),
            ("rules, cold word cache", run_cold),
            ("baseline no prefilter", run_plain),
            ("baseline json.dumps", run_json),
            ("baseline re.search", run_re),
        ]
        for name, fn in rows:
            if fn is run_frozen:
                gc.collect()
                gc.freeze()
            times, cpu = _time(fn, runs)
            if fn is run_frozen:
                gc.unfreeze()
            mean = sum(times) / len(times)
            print(
                f"{size:>8} {name:<22} {1 / mean:>10.0f} {_pct(times, 0.5):>9.3f} "
                f"{_pct(times, 0.99):>9.3f} {_pct(cpu, 0.5):>9.3f} {_pct(cpu, 0.99):>9.3f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
