"""Retention and erasure: the personal content of a case that ended (closed or withdrawn) is
erased when its platform's `retention_days` have passed, or at once by a supervisor.

What is erased is found, not listed: every encrypted field of the case and of every row that
belongs to it (a foreign key to the case, or to a row that has one), whatever its name, plus the
few plain columns named in PLAIN_PERSONAL. What stays is what reports count: the rows themselves,
tiers, times, outcomes, statuses, the platform, who worked the case. The case is marked
(`purged_at`) so its page says the content was erased. The event log is never touched: it holds
ids and kinds, never content, and the erasure itself is one more event.
"""

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from counselors.models import User
from handoff.access import is_supervisor
from handoff.crypto import encrypted_fields
from handoff.events import event_record
from handoff.jobs import CaseRun
from handoff.models import (
    Callback,
    CallbackEvent,
    CallbackStatus,
    EmergencyCall,
    EventKind,
    FollowUp,
    Handoff,
    MobileCrisisDispatch,
    Platform,
    Status,
)
from handoff.queue.notify import case_changed_on_commit

logger = logging.getLogger(__name__)

ENDED_STATUSES = (Status.CLOSED, Status.WITHDRAWN)
ERASE_REASON_MAX = 500

# Plain (unencrypted) columns that still say something of the person: the directory's center
# and team for where they were. Cleared with the encrypted ones.
PLAIN_PERSONAL: dict[type[models.Model], dict[str, Any]] = {
    EmergencyCall: {"center": None, "suggested_center": None},
    MobileCrisisDispatch: {"team": None},
}
# Kept when the rest of the case is erased: the record of why it was.
KEPT: frozenset[tuple[type[models.Model], str]] = frozenset({(Handoff, "purge_reason")})


class Refused(Exception):
    """The erasure is not allowed now; `errors` maps a field (or "") to what is wrong."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = errors if isinstance(errors, dict) else {"": errors}
        super().__init__("; ".join(self.errors.values()))


def _path_to_case(model: type[models.Model], depth: int = 2) -> str | None:
    """The lookup from `model` to its case's id ("pk" for the case), through at most `depth`
    foreign keys; None for rows that belong to no case (platforms and their secrets)."""
    if model is Handoff:
        return "pk"
    relations = [
        f for f in model._meta.concrete_fields if f.is_relation and f.related_model is not None
    ]
    for f in relations:
        if f.related_model is Handoff:
            return f.name
    if depth > 1:
        for f in relations:
            target = f.related_model
            if isinstance(target, type) and target is not model:
                below = _path_to_case(target, depth - 1)
                if below is not None and below != "pk":
                    return f"{f.name}__{below}"
    return None


def _empty(f: "models.Field[Any, Any]") -> Any:
    return None if f.null else f.get_default()


@dataclass(frozen=True)
class CaseContent:
    """What of one model a case's erasure clears: the lookup to the case, and field: empty."""

    model: type[models.Model]
    path: str
    values: dict[str, Any] = field(default_factory=dict)


@functools.cache
def case_content() -> tuple[CaseContent, ...]:
    """Every model that holds personal content of a case, with what erasure writes over it."""
    found: dict[type[models.Model], dict[str, Any]] = {}
    for model, f in encrypted_fields():
        if _path_to_case(model) is None or (model, f.name) in KEPT:
            continue
        found.setdefault(model, {})[f.name] = _empty(f)
    for model, values in PLAIN_PERSONAL.items():
        found.setdefault(model, {}).update(values)
    return tuple(
        CaseContent(model=model, path=_path_to_case(model) or "pk", values=values)
        for model, values in sorted(found.items(), key=lambda item: item[0]._meta.label)
    )


def encrypted_fields_outside_cases() -> list[str]:
    """Encrypted fields of rows that belong to no case (secrets), as `app.Model.field`."""
    return sorted(
        f"{model._meta.label}.{f.name}"
        for model, f in encrypted_fields()
        if _path_to_case(model) is None
    )


def _erase(handoff_id: Any) -> None:
    for content in case_content():
        content.model._default_manager.filter(**{content.path: handoff_id}).update(**content.values)
    # A relayed message not yet delivered has no words left to send.
    Callback.objects.filter(
        handoff_id=handoff_id, event=CallbackEvent.MESSAGE, status=CallbackStatus.PENDING
    ).update(status=CallbackStatus.EXPIRED)


def _open_follow_up() -> Exists:
    return Exists(FollowUp.objects.filter(handoff=OuterRef("pk"), done_at__isnull=True))


def _locked_case(handoff_id: Any) -> Handoff | None:
    # Only what the decision and the event need: nothing encrypted is read, so a value under a
    # lost key never stops its own erasure.
    return (
        Handoff.objects.select_for_update()
        .only("id", "platform", "status", "purged_at", "closed_at", "withdrawn_at")
        .filter(pk=handoff_id)
        .first()
    )


def _mark(handoff: Handoff, *, now: datetime, actor: User | None, reason: str) -> None:
    Handoff.objects.filter(pk=handoff.pk).update(
        purged_at=now,
        purged_by=actor,
        purge_reason=reason,
        version=F("version") + 1,
        updated_at=now,
    )


def case_erase(*, handoff_id: Any, supervisor: User, reason: str) -> Handoff:
    """A supervisor erases one ended case's personal content now, with a reason. The reason is
    kept, encrypted, on the case; the event names who, never why."""
    if not is_supervisor(supervisor):
        raise Refused("Only a supervisor can erase a case's personal data.")
    reason = reason.strip()
    if not reason:
        raise Refused({"reason": "Say why this case's personal data is erased now."})
    if len(reason) > ERASE_REASON_MAX:
        raise Refused({"reason": f"Keep the reason under {ERASE_REASON_MAX} characters."})
    now = timezone.now()
    with transaction.atomic():
        handoff = _locked_case(handoff_id)
        if handoff is None:
            raise Refused("No such case.")
        if handoff.status not in ENDED_STATUSES:
            raise Refused("Only a closed or withdrawn case can be erased: close it first.")
        if handoff.purged_at is not None:
            raise Refused("This case's personal data is already erased.")
        if Handoff.objects.filter(pk=handoff.pk).filter(_open_follow_up()).exists():
            raise Refused(
                "A follow-up of this case is still open and needs its contact details: mark it "
                "done first."
            )
        # Marked first: PostgreSQL lets a review's comment be erased only on a marked case.
        _mark(handoff, now=now, actor=supervisor, reason=reason)
        _erase(handoff.pk)
        event_record(
            handoff=handoff, kind=EventKind.ERASED, actor=supervisor, data={"by": "supervisor"}
        )
        case_changed_on_commit(handoff=handoff, owners=[])
    return handoff


# --- the retention job ----------------------------------------------------------------------


def _expired(now: datetime) -> Q:
    """Cases that ended more than their platform's retention_days ago (one condition per
    platform: there are few) and are not erased yet."""
    due = Q(pk__in=[])
    for platform_id, days in Platform.objects.values_list("id", "retention_days"):
        cutoff = now - timedelta(days=days)
        due |= Q(platform_id=platform_id) & (
            Q(status=Status.CLOSED, closed_at__lt=cutoff)
            | Q(status=Status.WITHDRAWN, withdrawn_at__lt=cutoff)
        )
    return due & Q(purged_at__isnull=True)


def cases_expired(*, now: datetime | None = None) -> "models.QuerySet[Handoff]":
    """Cases whose content retention erases now. One with an open follow-up waits for it: the
    counselor still needs the person's number (`cases_held_back`)."""
    now = now or timezone.now()
    return Handoff.objects.filter(_expired(now)).exclude(_open_follow_up())


def cases_held_back(*, now: datetime | None = None) -> "models.QuerySet[Handoff]":
    """Cases past their retention kept only because a follow-up of theirs is still open."""
    now = now or timezone.now()
    return Handoff.objects.filter(_expired(now)).filter(_open_follow_up())


def _erase_expired(handoff_id: UUID, now: datetime) -> bool:
    handoff = _locked_case(handoff_id)
    # Checked again under the lock: another run, or a supervisor, may have been first.
    if handoff is None or not cases_expired(now=now).filter(pk=handoff_id).exists():
        return False
    _mark(handoff, now=now, actor=None, reason="")
    _erase(handoff.pk)
    days = Platform.objects.filter(pk=handoff.platform_id).values_list("retention_days", flat=True)
    event_record(
        handoff=handoff,
        kind=EventKind.ERASED,
        data={"by": "retention", "retention_days": days.first()},
    )
    return True


@dataclass
class PurgeResult:
    erased: int = 0
    skipped: int = 0  # failed this run (logged by id); tried again next run
    held_back: int = 0  # past retention, with an open follow-up
    finished: bool = True  # False: the time budget ran out with cases left


def purge_expired(
    *,
    batch: int,
    budget_s: float | None = None,
    hand_over: Callable[[], None] | None = None,
) -> PurgeResult:
    """Erase every expired case, `batch` ids at a time, each case in its own transaction
    (handoff.jobs.CaseRun): one that fails is logged and skipped, the rest go on, and the next
    run tries it again. Stopped at any point, a second run finds what the first left; run twice
    at once, each case is erased once (the row lock and the check under it). With `budget_s`,
    stops after that long and calls `hand_over` to have a fresh run carry on."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    started = time.monotonic()
    now = timezone.now()
    result = PurgeResult(held_back=cases_held_back(now=now).count())
    run = CaseRun("retention purge")
    last: UUID | None = None
    while True:
        due = cases_expired(now=now).order_by("pk")
        if last is not None:
            due = due.filter(pk__gt=last)
        ids = list(due.values_list("pk", flat=True)[:batch])
        for pk in ids:
            with run.case(pk):
                if _erase_expired(pk, now):
                    result.erased += 1
        if len(ids) < batch:
            break
        last = ids[-1]
        if budget_s is not None and time.monotonic() - started > budget_s:
            result.finished = False
            if hand_over is not None:
                hand_over()
            break
    run.finish()
    result.skipped = len(run.skipped)
    if result.erased or result.skipped:
        logger.info(
            "retention purge: %d case(s) erased, %d skipped, %d held back by a follow-up",
            result.erased,
            result.skipped,
            result.held_back,
        )
    return result
