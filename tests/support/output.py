"""Read a process's output line by line as it comes, and wait for the line a test expects."""

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path


class Output:
    """Every line the process prints (stdout and stderr merged), kept and handed to `expect`."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self._taken: set[int] = set()
        self._ended = False
        self._changed = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def expect(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        """The first line matching `pattern` that no earlier expect returned, waiting for it
        to be printed if need be. Lines that do not match stay for later expects."""
        wanted = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for index in range(seen, len(self.lines)):
                    if index in self._taken:
                        continue
                    found = wanted.search(self.lines[index])
                    if found:
                        self._taken.add(index)
                        return found
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if self._ended or left <= 0:
                    why = "the process ended" if self._ended else f"{timeout} s passed"
                    raise AssertionError(
                        f"no line matching {pattern!r} ({why}); last lines:\n"
                        + "".join(self.lines[-30:])
                    )
                self._changed.wait(left)

    def text(self) -> str:
        with self._changed:
            return "".join(self.lines)


def start(args: list[str], *, env: dict[str, str], cwd: Path | None = None) -> Output:
    """Start `args` in a session of its own, its output read by an Output."""
    process = subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    return Output(process)


def stop(output: Output) -> None:
    """Stop whatever is left of the process's session (a test that failed half-way)."""
    with suppress(ProcessLookupError):
        os.killpg(output.process.pid, signal.SIGKILL)
    output.process.wait(timeout=10)


def gone(pid: int) -> bool:
    """The process has ended (a zombie waiting for its parent counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in {"Z", "X"}


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll `condition` until it holds (a few milliseconds apart), or fail saying `what`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.02)
