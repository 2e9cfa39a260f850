"""Periodic jobs and batches work case by case, and one case never stops the others.

A case that cannot be read or written (a time PostgreSQL holds and Python cannot, a constraint a
hand-edited row breaks, a bug that only its data reaches) is rolled back, logged by id and kind
of error (never its content), counted and skipped; the job carries on with the rest and says at
the end how many it skipped. The next run tries the skipped case again.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction

logger = logging.getLogger(__name__)


class CaseRun:
    """One run of a job over many cases: `with run.case(pk):` around each case's work."""

    def __init__(self, job: str) -> None:
        self.job = job
        self.skipped: list[str] = []

    @contextmanager
    def case(self, case_id: object, *, atomic: bool = True) -> Iterator[None]:
        """The case's work, in its own transaction unless `atomic=False`; an exception is
        logged and the case skipped (a time limit still ends the run). A transaction that
        cannot even begin (PostgreSQL unreachable) is no fault of the case: it ends the run,
        and the next run starts again."""
        began = False
        try:
            with transaction.atomic() if atomic else nullcontext():
                began = True
                yield
        except SoftTimeLimitExceeded:
            raise
        except Exception as exc:
            if not began:
                raise
            self.skipped.append(str(case_id))
            logger.warning("%s: skipped %s (%s)", self.job, case_id, type(exc).__name__)

    def finish(self) -> None:
        if self.skipped:
            logger.error("%s: %d case(s) skipped this run", self.job, len(self.skipped))
