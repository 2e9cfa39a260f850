"""The daily retention job: a thin door into handoff.retention.services. Safe to run twice or
at once: each case is erased once, under its row lock."""

from celery import shared_task
from django.conf import settings

from handoff import runtime
from handoff.retention.services import purge_expired

# Then the job hands over to a fresh task (the time limit is 20 s).
PURGE_BUDGET_S = 10.0


@shared_task(name="handoff.retention_purge")
def retention_purge_task() -> int:
    """Erase the content of every case past its platform's retention. Returns how many."""
    result = purge_expired(
        batch=settings.RETENTION_PURGE_BATCH,
        budget_s=PURGE_BUDGET_S,
        hand_over=lambda: runtime.enqueue(retention_purge_task),
    )
    return result.erased
