"""Waiting for another process to finish something: check again until it has, or fail."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def until(check: Callable[[], T | None], *, timeout: float = 20, what: str = "it") -> T:
    """`check()` until it returns something true (returned), or fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}; last: {result!r}")
        time.sleep(0.1)  # the other process's pace; returns as soon as it is done
