"""The supervisor of the production layout (ops/supervisor.py), with stand-in programs: a killed
program comes back and the others are untouched, what it left behind dies with it, a program
that keeps dying is restarted less and less often, and SIGTERM stops everything."""

import contextlib
import os
import re
import signal
import sys
from pathlib import Path

import pytest

from tests.support.output import Output, gone, start, stop, wait_until

ROOT = Path(__file__).resolve().parents[2]

# A stand-in program: says it is ready with its pid, then waits for a signal.
#   child.py NAME [ignore-term | grandchild | crash]
CHILD = """
import os, signal, subprocess, sys
name, mode = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "")
if mode == "ignore-term":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if mode == "grandchild":
    subprocess.Popen([sys.executable, "-c",
        "import os, signal; print(f'grandchild {os.getpid()}', flush=True); signal.pause()"])
if mode == "crash":
    print(f"crashing {name}", flush=True)
    sys.exit(3)
# One write per line: the programs share the supervisor's output.
print(f"ready {name} {os.getpid()}", flush=True)
signal.pause()
"""


@pytest.fixture
def child(tmp_path: Path) -> str:
    path = tmp_path / "child.py"
    path.write_text(CHILD)
    return f"{sys.executable} {path}"


def supervisor(*programs: str, options: tuple[str, ...] = ()) -> Output:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return start([sys.executable, "-m", "ops.supervisor", *options, *programs], env=env, cwd=ROOT)


def pid_of(match: re.Match[str]) -> int:
    return int(match.group(1))


def cleanup(out: Output) -> None:
    """Whatever a failed test left: the supervisor, and every program it said it started."""
    stop(out)
    for pid in re.findall(r"(?:ready \S+|grandchild) (\d+)", out.text()):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)


def test_a_killed_program_is_restarted_alone_and_sigterm_stops_everything(child: str) -> None:
    out = supervisor(f"a={child} a", f"b={child} b grandchild", options=("--stop-grace", "5"))
    try:
        a = pid_of(out.expect(r"ready a (\d+)"))
        grandchild = pid_of(out.expect(r"grandchild (\d+)"))
        b = pid_of(out.expect(r"ready b (\d+)"))

        os.kill(b, signal.SIGKILL)
        out.expect(rf"b \(pid {b}\) killed by SIGKILL .* restarting in 0\.5 s")
        # What b started went with it before b came back: nothing of the old b runs twice.
        wait_until(lambda: gone(grandchild), timeout=5, what="the old grandchild killed")
        new_grandchild = pid_of(out.expect(r"grandchild (\d+)"))
        new_b = pid_of(out.expect(r"ready b (\d+)"))
        assert new_b != b
        assert not gone(a)  # the other program was left alone

        out.process.send_signal(signal.SIGTERM)
        assert out.process.wait(timeout=10) == 0
        assert all(gone(pid) for pid in (a, new_b, new_grandchild))
        assert "all programs stopped" in out.text()
    finally:
        cleanup(out)


def test_a_program_that_ignores_sigterm_is_killed_after_the_grace(child: str) -> None:
    out = supervisor(f"stubborn={child} stubborn ignore-term", options=("--stop-grace", "1"))
    try:
        pid = pid_of(out.expect(r"ready stubborn (\d+)"))
        out.process.send_signal(signal.SIGTERM)
        out.expect(r"stubborn \(pid \d+\) still running after 1 s: killed")
        assert out.process.wait(timeout=10) == 0
        assert gone(pid)
    finally:
        cleanup(out)


def test_a_program_that_keeps_dying_is_restarted_ever_more_slowly(child: str) -> None:
    out = supervisor(
        f"steady={child} steady",
        f"broken={child} broken crash",
        options=("--backoff-first", "0.1", "--stop-grace", "5"),
    )
    try:
        steady = pid_of(out.expect(r"ready steady (\d+)"))
        delays = [
            float(out.expect(r"broken \(pid \d+\) exited with status 3 .* in ([\d.]+) s").group(1))
            for _ in range(4)
        ]
        assert delays == [0.1, 0.2, 0.4, 0.8]
        assert not gone(steady)
        out.process.send_signal(signal.SIGINT)  # Ctrl-C at a terminal
        assert out.process.wait(timeout=10) == 0
        assert gone(steady)
    finally:
        cleanup(out)


def test_programs_stop_when_the_supervisor_itself_is_killed(child: str) -> None:
    out = supervisor(f"a={child} a", f"b={child} b")
    try:
        a = pid_of(out.expect(r"ready a (\d+)"))
        b = pid_of(out.expect(r"ready b (\d+)"))
        out.process.kill()  # SIGKILL: no chance to stop anyone itself
        out.process.wait(timeout=10)
        wait_until(lambda: gone(a) and gone(b), timeout=10, what="the programs stopped")
    finally:
        cleanup(out)


def test_a_command_line_without_a_name_is_refused() -> None:
    out = supervisor("just-a-command")
    try:
        out.expect(r"expected NAME=COMMAND, got 'just-a-command'")
        assert out.process.wait(timeout=30) == 2
    finally:
        cleanup(out)
