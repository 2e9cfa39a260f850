"""Shutting a person out now: their sessions end and their open sockets close.

Django refuses a session that is gone on its next request, but a dashboard's socket is
authenticated once, when it opens, and would go on receiving the queue. So every socket joins
`account_group(user_id)` and `session_group(session_key)`, and whatever ends sessions tells
those groups to close (after the commit). One function serves each case: an account switched
off (`account_deactivated`), the person's "sign out everywhere", a supervisor ending a person's
sessions, a second factor reset (`sessions_end_all`); one session signed out or expired
(counselors.sessions tells its `session_group`).
"""

import hashlib
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

from counselors import second_factor
from counselors.events import account_record
from counselors.models import AccountEventKind, User

logger = logging.getLogger(__name__)

# The message the groups hear; a consumer's handler for it is `account_closed`.
ACCOUNT_CLOSED = "account.closed"


def account_group(user_id: int) -> str:
    return f"account.{user_id}"


def session_group(session_key: str) -> str:
    """The sockets opened with one session. A digest: the key itself signs a browser in, and
    channel names are visible to whoever can read Redis."""
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def sessions_end(*, user_id: int) -> int:
    """End every session of the account; returns how many ended. The user id is inside each
    session's encoded data, so live sessions are read one by one (this runs rarely: an account
    switched off, a person signing out everywhere). A session engine that cannot list its
    sessions (signed cookies, cache only) is left alone."""
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


def group_close(group: str) -> None:
    """Tell every socket in the group to close. Never fails the change that asked: with the
    channel layer down the sockets are not reached now, and each one checks its session at its
    next heartbeat."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": ACCOUNT_CLOSED})
    except Exception as exc:
        logger.warning("sockets of %s not told to close (%s)", group, type(exc).__name__)


def sockets_close(*, user_id: int) -> None:
    group_close(account_group(user_id))


def sessions_end_all(
    *, user: User, kind: AccountEventKind, actor: User | None = None, detail: str = ""
) -> int:
    """Sign the person out everywhere: every session ends now and every socket closes after the
    commit. Recorded as `kind` (who asked is `actor`). Returns how many sessions ended."""
    ended = sessions_end(user_id=user.pk)
    account_record(
        kind=kind,
        user_id=user.pk,
        actor_id=actor.pk if actor is not None and actor.pk != user.pk else None,
        detail=detail or f"{ended} sessions",
    )
    user_id = user.pk
    transaction.on_commit(lambda: sockets_close(user_id=user_id))
    return ended


@transaction.atomic
def second_factor_reset(*, user: User, actor: User | None) -> Any:
    """A lost phone: the person's authenticator and backup codes are replaced by a new
    authenticator (returned, for the one resetting it to hand over once), and every session of
    theirs ends, since one may be someone else's."""
    device = second_factor.enroll(user=user, actor=actor)
    sessions_end_all(user=user, kind=AccountEventKind.SESSIONS_ENDED, actor=actor, detail="reset")
    return device


@receiver(post_save, sender=User, dispatch_uid="counselors.account_deactivated")
def account_deactivated(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    if created or instance.is_active:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and "is_active" not in update_fields:
        return
    sessions_end_all(user=instance, kind=AccountEventKind.DEACTIVATED)
