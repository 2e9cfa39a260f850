"""Queue tasks: thin doors into services, safe to run twice."""

from celery import shared_task

from counselors.presence import presence_expire
from handoff.queue import notify


@shared_task(name="handoff.presence_expire")
def presence_expire_task() -> int:
    """Browsers that died without closing their socket stop counting as online, and every
    dashboard's list of who is online says so."""
    expired = presence_expire()
    if expired:
        notify.presence_changed()
    return expired
