"""An account switched off is shut out at once: its sessions end and its open sockets close.

Django's auth already refuses an inactive account on its next request, but a dashboard's socket
is authenticated once, when it opens, and would go on receiving the queue. So every socket of an
account joins `account_group(user_id)`, and deactivating the account (the admin's form, a
service, a shell: any save) tells that group to close.
"""

import logging
from importlib import import_module
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from counselors.models import User

logger = logging.getLogger(__name__)

# The message the group hears; a consumer's handler for it is `account_closed`.
ACCOUNT_CLOSED = "account.closed"


def account_group(user_id: int) -> str:
    return f"account.{user_id}"


def sessions_end(*, user_id: int) -> int:
    """Sign the account out everywhere; returns how many sessions ended. The user id is inside
    each session's encoded data, so live sessions are read one by one (this runs when an account
    is switched off, rarely). A session engine that cannot list its sessions (signed cookies,
    cache only) is left alone: the auth backend refuses an inactive account anyway."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        return 0
    sessions = store.get_model_class().objects.filter(expire_date__gt=timezone.now())
    ended = 0
    for session in sessions.iterator():
        if session.get_decoded().get(SESSION_KEY) == str(user_id):
            store(session_key=session.session_key).delete()
            ended += 1
    return ended


def sockets_close(*, user_id: int) -> None:
    """Tell every open socket of the account to close. Never fails the save that asked: with the
    channel layer down the sockets are not reached now, and each one checks the account at its
    next heartbeat."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(account_group(user_id), {"type": ACCOUNT_CLOSED})
    except Exception as exc:
        logger.warning("sockets of user %s not told to close (%s)", user_id, type(exc).__name__)


@receiver(post_save, sender=User, dispatch_uid="counselors.account_deactivated")
def account_deactivated(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    if created or instance.is_active:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and "is_active" not in update_fields:
        return
    ended = sessions_end(user_id=instance.pk)
    logger.info("user %s deactivated: %d session(s) ended", instance.pk, ended)
    user_id = instance.pk
    transaction.on_commit(lambda: sockets_close(user_id=user_id))
