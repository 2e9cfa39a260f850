"""The durable record of account events (counselors.models.AccountEvent), with a log line each.

Lines and rows carry account ids, an address and fixed words only: never a password, a code,
or a name typed at sign-in that matches no account (that one is kept as a keyed digest).
"""

import logging

from counselors.models import AccountEvent, AccountEventKind

logger = logging.getLogger("counselors.events")

_WARNINGS = {AccountEventKind.SIGN_IN_FAILED, AccountEventKind.LOCKED}


def account_record(
    *,
    kind: AccountEventKind,
    user_id: int | None = None,
    actor_id: int | None = None,
    username_digest: str = "",
    address: str | None = None,
    detail: str = "",
) -> AccountEvent:
    event = AccountEvent(
        kind=kind,
        user_id=user_id,
        actor_id=actor_id,
        username_digest=username_digest,
        address=address or None,
        detail=detail,
    )
    event.save(force_insert=True)
    level = logging.WARNING if kind in _WARNINGS else logging.INFO
    logger.log(
        level,
        "account %s: user=%s actor=%s name=%s address=%s %s",
        kind.value,
        user_id if user_id is not None else "-",
        actor_id if actor_id is not None else "-",
        username_digest or "-",
        address or "-",
        detail,
        extra={"account_event": kind.value, "user_id": user_id, "actor_id": actor_id},
    )
    return event
