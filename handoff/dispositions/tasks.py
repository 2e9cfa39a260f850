from celery import shared_task

from handoff.dispositions.services import emergency_confirmations_overdue, follow_ups_remind


@shared_task(name="handoff.emergency_confirmations_overdue")
def emergency_confirmations_overdue_task() -> int:
    return emergency_confirmations_overdue()


@shared_task(name="handoff.follow_ups_remind")
def follow_ups_remind_task() -> int:
    return follow_ups_remind()
