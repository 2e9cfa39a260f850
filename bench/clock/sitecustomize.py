"""The console's clock, moved by `make faults` (bench/faults.py) and nothing else.

Loaded as `sitecustomize` by the processes of the drill's layout only (their PYTHONPATH starts
with this folder). With HANDOFF_DRILL_CLOCK_FILE set, django.utils.timezone.now, which every
schedule of the console reads (callback retries and expiry, leases, aging, presence), returns
the real time plus the number of seconds in that file, re-read at most five times a second.
The operating system's clock, time.time() and the clocks of PostgreSQL, Redis and Celery beat
are untouched.

Why not libfaketime: Debian 12's 0.9.10 makes Python 3.11's time.sleep fail with EINVAL when
only the wall clock is faked, and faking the monotonic clock as well turns a jump of the clock
into sleeps and timeouts an hour long.
"""

import os
import time

_FILE = os.environ.get("HANDOFF_DRILL_CLOCK_FILE", "")

if _FILE:
    # Imported only in the drill's own processes: as sitecustomize this module runs at the start
    # of every Python process with this folder on its path, Django or not.
    from datetime import datetime, timedelta

    from django.utils import timezone as _timezone

    _real_now = _timezone.now
    _state = {"offset": 0.0, "read_at": float("-inf")}

    def _offset() -> float:
        at = time.monotonic()
        if at - _state["read_at"] > 0.2:
            _state["read_at"] = at
            try:
                with open(_FILE) as source:
                    _state["offset"] = float(source.read().strip() or 0)
            except (OSError, ValueError):
                pass
        return _state["offset"]

    def now() -> datetime:
        return _real_now() + timedelta(seconds=_offset())

    _timezone.now = now
