from celery import shared_task

from counselors.presence import presence_expire


@shared_task(name="counselors.presence_expire")
def presence_expire_task() -> int:
    """Browsers that died without closing their socket stop counting as online."""
    expired = presence_expire()
    if expired:
        from handoff.realtime.broadcast import presence_changed

        presence_changed()
    return expired
