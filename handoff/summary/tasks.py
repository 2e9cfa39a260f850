"""Summary tasks: thin doors into handoff.summary.services, safe to run twice."""

from typing import Any

from celery import shared_task
from django.conf import settings

from handoff.summary.services import (
    summaries_reconcile,
    summaries_sweep,
    summary_build,
    summary_mark_unavailable,
)


@shared_task(bind=True, name="handoff.summary_build", max_retries=None)
def summary_build_task(self: Any, handoff_id: str, transcript_version: int) -> None:
    try:
        summary_build(handoff_id=handoff_id, transcript_version=transcript_version)
    except Exception as exc:
        if self.request.retries < settings.SUMMARY_MAX_RETRIES:
            raise self.retry(exc=exc, countdown=2**self.request.retries) from exc
        summary_mark_unavailable(
            handoff_id=handoff_id,
            transcript_version=transcript_version,
            reason=f"engine failed after {self.request.retries + 1} attempts "
            f"({type(exc).__name__})",
        )


@shared_task(name="handoff.summary_sweep")
def summary_sweep_task() -> int:
    """Build every due summary in batches. Woken by intake; the reconciler wakes it again."""
    return summaries_sweep()


@shared_task(name="handoff.summary_reconcile")
def summary_reconcile_task() -> int:
    return summaries_reconcile()
