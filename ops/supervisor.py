"""A small parent process: starts its programs, restarts whichever dies, stops them all on
SIGTERM, SIGINT or SIGHUP.

Why not honcho: it stops every process when one exits (as foreman does), and one daphne dying
must not take the proxy, the other daphnes and the worker down with it. Why not supervisord or
systemd: `make serve` is one foreground command, on a machine as in a container.

Each program runs in a process group of its own. A terminal's Ctrl-C then reaches only this
parent, which stops everyone in order; and whatever a program leaves behind when it dies
(Celery's pool children, nginx's workers) is killed before the program starts again, so an
orphaned pool child can never go on building a summary that the restarted worker builds too.
If the parent itself is killed outright, the kernel tells every program to stop (SIGTERM).

    python -m ops.supervisor [--stop-grace S] NAME=COMMAND [NAME=COMMAND ...]

runs each COMMAND (split like a shell would, never run by one) under that rule, as a Procfile
runner would. `ops.serve` builds the production layout on it.
"""

import argparse
import contextlib
import ctypes
import fcntl
import logging
import os
import select
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType

logger = logging.getLogger("supervisor")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@dataclass(frozen=True)
class Program:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str] | None = None  # None: this process's environment
    stop_signal: int = signal.SIGTERM
    # Programs stop in waves, lowest first: the proxy before what it sends requests to.
    stop_wave: int = 1


@dataclass
class _Child:
    program: Program
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restart_at: float | None = None  # monotonic time of the next start, while waiting for it
    delay: float = 0.0  # the last restart delay, doubled while the program keeps dying young
    restarts: int = 0


@dataclass
class Supervisor:
    programs: Sequence[Program]
    # How long a stop waits for the programs' own shutdown before killing them.
    stop_grace: float = 20.0
    # Restart delays: the first, doubled each time a program dies within `stable_after` seconds
    # of starting, up to the last.
    backoff_first: float = 0.5
    backoff_max: float = 30.0
    stable_after: float = 30.0
    # Called with (program name, pid) after a program's process has ended and been reaped.
    on_exit: Callable[[str, int], None] | None = None
    _children: list[_Child] = field(default_factory=list, init=False)

    def run(self) -> int:
        """Run until a stop signal; returns 0 once everything has stopped."""
        names = [p.name for p in self.programs]
        if len(set(names)) != len(names):
            raise ValueError(f"program names must be unique: {names}")
        with _signals() as wakeup:
            self._children = [_Child(program) for program in self.programs]
            for child in self._children:
                self._start(child)
            while True:
                received = self._wait(wakeup, self._next_restart_in())
                self._reap()
                stop = next((s for s in received if s in STOP_SIGNALS), None)
                if stop is not None:
                    logger.info("%s received: stopping everything", signal.Signals(stop).name)
                    break
                self._restart_due()
            self._stop_all(wakeup)
        logger.info("all programs stopped")
        return 0

    # --- starting and restarting ---------------------------------------------------------

    def _start(self, child: _Child) -> None:
        program = child.program
        child.process = subprocess.Popen(  # noqa: S603 - the layout's argv, never a shell
            list(program.argv),
            env=dict(program.env) if program.env is not None else None,
            stdin=subprocess.DEVNULL,
            process_group=0,  # its own group: see the module's docstring
            preexec_fn=_die_with_parent(os.getpid()),  # safe: this parent has one thread
        )
        child.started_at = time.monotonic()
        child.restart_at = None
        logger.info("started %s (pid %d)", program.name, child.process.pid)

    def _reap(self) -> None:
        for child in self._children:
            process = child.process
            if process is None or process.poll() is None:
                continue
            child.process = None
            _kill_group(process.pid)
            self._exited(child, process)
            lived = time.monotonic() - child.started_at
            if lived < self.stable_after and child.delay:
                child.delay = min(child.delay * 2, self.backoff_max)
            else:
                child.delay = self.backoff_first
            child.restart_at = time.monotonic() + child.delay
            child.restarts += 1
            logger.warning(
                "%s (pid %d) %s after %.1f s; restarting in %.1f s",
                child.program.name,
                process.pid,
                _how(process.returncode),
                lived,
                child.delay,
            )

    def _exited(self, child: _Child, process: subprocess.Popen[bytes]) -> None:
        if self.on_exit is None:
            return
        try:
            self.on_exit(child.program.name, process.pid)
        except Exception:
            logger.exception("on_exit hook failed for %s", child.program.name)

    def _next_restart_in(self) -> float | None:
        due = [c.restart_at for c in self._children if c.restart_at is not None]
        return max(min(due) - time.monotonic(), 0.0) if due else None

    def _restart_due(self) -> None:
        now = time.monotonic()
        for child in self._children:
            if child.restart_at is not None and child.restart_at <= now:
                try:
                    self._start(child)
                except OSError as exc:  # the binary vanished: try again later
                    child.restart_at = now + self.backoff_max
                    logger.error("%s could not start (%s)", child.program.name, exc)

    # --- stopping --------------------------------------------------------------------------

    def _stop_all(self, wakeup: int) -> None:
        deadline = time.monotonic() + self.stop_grace
        for child in self._children:
            child.restart_at = None
        for wave in sorted({c.program.stop_wave for c in self._children}):
            members = [c for c in self._children if c.program.stop_wave == wave]
            for child in members:
                if child.process is not None:
                    with contextlib.suppress(ProcessLookupError):
                        child.process.send_signal(child.program.stop_signal)
            while any(c.process is not None for c in members):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._wait(wakeup, left)
                self._collect(members)
        for child in self._children:
            if child.process is not None:
                logger.warning(
                    "%s (pid %d) still running after %.0f s: killed",
                    child.program.name,
                    child.process.pid,
                    self.stop_grace,
                )
                _kill_group(child.process.pid)
                child.process.wait()
                self._collect([child])

    def _collect(self, children: Sequence[_Child]) -> None:
        """Reap stopped children without restarting them."""
        for child in children:
            process = child.process
            if process is None or process.poll() is None:
                continue
            child.process = None
            _kill_group(process.pid)
            self._exited(child, process)
            logger.info(
                "stopped %s (pid %d, %s)", child.program.name, process.pid, _how(process.returncode)
            )

    @staticmethod
    def _wait(wakeup: int, timeout: float | None) -> list[int]:
        """Sleep until a signal arrives or `timeout` passes; the signals that arrived."""
        with contextlib.suppress(InterruptedError):
            select.select([wakeup], [], [], timeout)
        try:
            return list(os.read(wakeup, 512))
        except BlockingIOError:
            return []


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """Run in each child before its program: if this parent dies, even by SIGKILL, the kernel
    sends the child SIGTERM (Linux's parent-death signal), so no program outlives its
    supervisor unsupervised. None where there is no such thing."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def arm() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)

    return arm


def _kill_group(pgid: int) -> None:
    """Kill what is left of a program's process group (its leader may already be gone)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _how(returncode: int) -> str:
    if returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    return f"exited with status {returncode}"


@contextlib.contextmanager
def _signals() -> Iterator[int]:
    """Every signal the loop cares about wakes it, through a pipe the C handler writes to: no
    signal can slip in between checking for one and going to sleep."""
    read_end, write_end = os.pipe()
    for fd in (read_end, write_end):
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)

    def noted(signum: int, frame: FrameType | None) -> None:
        """The wake-up pipe already carries the signal's number."""

    watched = (signal.SIGCHLD, *STOP_SIGNALS)
    previous = {signum: signal.signal(signum, noted) for signum in watched}
    previous_fd = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    try:
        yield read_end
    finally:
        signal.set_wakeup_fd(previous_fd)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        os.close(read_end)
        os.close(write_end)


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run each NAME=COMMAND, restart whichever dies, stop all on SIGTERM."
    )
    parser.add_argument("--stop-grace", type=float, default=20.0)
    parser.add_argument("--backoff-first", type=float, default=0.5)
    parser.add_argument("--backoff-max", type=float, default=30.0)
    parser.add_argument("programs", nargs="+", metavar="NAME=COMMAND")
    args = parser.parse_args(argv)
    programs = []
    for spec in args.programs:
        name, sep, command = spec.partition("=")
        if not sep or not name or not command.strip():
            parser.error(f"expected NAME=COMMAND, got {spec!r}")
        programs.append(Program(name=name, argv=shlex.split(command)))
    configure_logging()
    return Supervisor(
        programs,
        stop_grace=args.stop_grace,
        backoff_first=args.backoff_first,
        backoff_max=args.backoff_max,
    ).run()


if __name__ == "__main__":
    sys.exit(main())
