"""Claim, release, transfer and aging. Ownership changes are single conditional UPDATEs, so the
database, not a read-then-write, decides who owns a case."""

from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from counselors.models import Availability, User
from handoff.access import is_staff_member, is_supervisor
from handoff.callbacks.services import callback_enqueue
from handoff.events import event_record
from handoff.jobs import CaseRun
from handoff.models import (
    OWNED_STATUSES,
    AlertKind,
    CallbackEvent,
    EventKind,
    Handoff,
    Handover,
    Release,
    Status,
    Tier,
    TierSource,
)
from handoff.monitoring import metrics
from handoff.queue.notify import (
    CaseChange,
    alert_raise,
    case_changed_on_commit,
    cases_changed_on_commit,
)

HANDOVER_NOTE_MAX = 2000
RELEASE_REASON_MAX = 500


def record_changed(*, handoff_id: UUID | str) -> None:
    """Something on a case's record changed that does not move it in the queue (a review, a
    follow-up step on a closed case): in the caller's transaction its version moves, so its open
    pages fetch it again after commit, and the floor redraws."""
    Handoff.objects.filter(pk=handoff_id).update(version=F("version") + 1)
    cases_changed_on_commit([CaseChange(str(handoff_id), shown=None)])


class ClaimRefused(Exception):
    """The case is not claimable: someone else holds it, or it left the queue."""

    def __init__(self, message: str, *, owner: User | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.owner = owner


class ActionRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def handoff_claim(*, handoff_id: str, counselor: User) -> Handoff:
    """Take a waiting case. Exactly one of any number of simultaneous claims wins; the others
    learn at once who holds it.

    A case already held is refused from one read, without a transaction: in a rush on one case
    most claims arrive after the winner's, and they are answered as fast as the database can
    say who holds it. Only the conditional UPDATE decides a win."""
    if not is_staff_member(counselor):
        raise ClaimRefused("Only counselors can claim cases.")
    current = _claim_state(handoff_id)
    if current is None or current.status != Status.QUEUED:
        return _not_claimable(current, counselor)
    now = timezone.now()
    with transaction.atomic():
        if not is_supervisor(counselor):
            _check_capacity(counselor)
        won = Handoff.objects.filter(pk=handoff_id, status=Status.QUEUED).update(
            status=Status.CLAIMED,
            claimed_by=counselor,
            claimed_at=now,
            version=F("version") + 1,
            updated_at=now,
        )
        if won:
            handoff = Handoff.objects.select_related("platform").get(pk=handoff_id)
            event_record(
                handoff=handoff,
                kind=EventKind.CLAIMED,
                actor=counselor,
                data={
                    "to_id": counselor.pk,
                    "waited_s": int((now - handoff.queued_at).total_seconds()),
                },
            )
            _claim_count_on_commit(handoff, now)
            callback_enqueue(handoff=handoff, event=CallbackEvent.CLAIMED)
            case_changed_on_commit(handoff=handoff, owners=[counselor.pk], as_written=True)
            return handoff
    return _not_claimable(_claim_state(handoff_id), counselor)


def _claim_count_on_commit(handoff: Handoff, now: datetime) -> None:
    """handoff_claim_seconds: how long the case waited in the queue (since queued_at) before
    this claim, by its tier now; counted once the claim commits."""
    waited_s = (now - handoff.queued_at).total_seconds()
    tier = handoff.tier
    transaction.on_commit(lambda: metrics.case_claimed(tier=tier, waited_s=waited_s))


def _check_capacity(counselor: User) -> None:
    """Away takes no new case, and nobody claims past COUNSELOR_MAX_OPEN_CASES. The counselor's
    row is locked for the claim's transaction, so two claims of theirs at once are counted one
    after the other and cannot both slip under the limit."""
    me = User.objects.select_for_update().only("id", "availability").get(pk=counselor.pk)
    if me.availability == Availability.AWAY:
        raise ClaimRefused("You are set to away: set yourself available to claim cases.")
    held = Handoff.objects.filter(claimed_by=me, status__in=OWNED_STATUSES).count()
    limit = settings.COUNSELOR_MAX_OPEN_CASES
    if held >= limit:
        raise ClaimRefused(
            f"You hold {held} open cases, the most at once ({limit}): close or hand one over "
            "before claiming another."
        )


def _claim_state(handoff_id: str) -> Handoff | None:
    """What a refused claim needs to know: the case's status and who holds it."""
    return (
        Handoff.objects.select_related("claimed_by")
        .only(
            "id",
            "status",
            "claimed_by__username",
            "claimed_by__display_name",
            "claimed_by__first_name",
            "claimed_by__last_name",
        )
        .filter(pk=handoff_id)
        .first()
    )


def _not_claimable(current: Handoff | None, counselor: User) -> Handoff:
    """Refuse a claim on a case that is not waiting; a second click by its holder gets it."""
    if current is None:
        raise ClaimRefused("No such case.")
    if current.claimed_by is not None:
        if current.claimed_by_id == counselor.pk:
            return current  # a double-click: already yours
        raise ClaimRefused(f"Already claimed by {current.claimed_by}.", owner=current.claimed_by)
    raise ClaimRefused(
        f"This case is {current.get_status_display().lower()}; it cannot be claimed."
    )


def _owned_for_update(*, handoff_id: str, actor: User) -> Handoff:
    handoff = (
        Handoff.objects.select_for_update().select_related("platform").filter(pk=handoff_id).first()
    )
    if handoff is None:
        raise ActionRefused("No such case.")
    if handoff.status not in OWNED_STATUSES:
        raise ActionRefused("This case is not held by anyone.")
    if handoff.claimed_by_id != actor.pk and not is_supervisor(actor):
        raise ActionRefused("Only the counselor holding this case, or a supervisor, can do that.")
    return handoff


def handoff_release(*, handoff_id: str, actor: User, reason: str = "") -> Handoff:
    """Put a held case back in the queue, keeping its place by the time it first arrived. The
    reason, if any, is kept encrypted on the release's row; the event names the row."""
    with transaction.atomic():
        handoff = _owned_for_update(handoff_id=handoff_id, actor=actor)
        previous = handoff.claimed_by_id
        handoff.status = Status.QUEUED
        handoff.claimed_by = None
        handoff.claimed_at = None
        handoff.version += 1
        handoff.save(update_fields=["status", "claimed_by", "claimed_at", "version", "updated_at"])
        release = Release.objects.create(
            handoff=handoff,
            by=actor,
            from_user_id=previous,
            reason=reason.strip()[:RELEASE_REASON_MAX],
        )
        event_record(
            handoff=handoff,
            kind=EventKind.RELEASED,
            actor=actor,
            data={"from_id": previous, "release": release.pk},
        )
        case_changed_on_commit(
            handoff=handoff, owners=[previous] if previous else [], as_written=True
        )
    return handoff


def handoff_transfer(*, handoff_id: str, actor: User, to: User | None, note: str = "") -> Handoff:
    """Hand a held case to a named colleague, with a handover note they read on the case page;
    or back to the queue when `to` is None. A supervisor may also assign a waiting case; the
    claim limit and "away" do not bind a supervisor's assignment."""
    if to is None:
        return handoff_release(handoff_id=handoff_id, actor=actor, reason="transferred to queue")
    if not is_staff_member(to):
        raise ActionRefused("A case can only be transferred to an active counselor or supervisor.")
    note = note.strip()
    if not note:
        raise ActionRefused("Write a handover note: what your colleague needs to know first.")
    if len(note) > HANDOVER_NOTE_MAX:
        raise ActionRefused(f"Keep the handover note under {HANDOVER_NOTE_MAX} characters.")
    with transaction.atomic():
        waiting = (
            Handoff.objects.select_for_update()
            .select_related("platform")
            .filter(pk=handoff_id, status=Status.QUEUED)
            .first()
        )
        if waiting is not None and is_supervisor(actor):
            return _assign(handoff=waiting, actor=actor, to=to, note=note)
        handoff = _owned_for_update(handoff_id=handoff_id, actor=actor)
        previous = handoff.claimed_by_id
        if previous == to.pk:
            raise ActionRefused(f"{to} already holds this case.")
        handoff.claimed_by = to
        handoff.claimed_at = timezone.now()
        handoff.version += 1
        handoff.save(update_fields=["claimed_by", "claimed_at", "version", "updated_at"])
        Handover.objects.create(
            handoff=handoff, by=actor, from_user_id=previous, to_user=to, note=note
        )
        event_record(
            handoff=handoff,
            kind=EventKind.TRANSFERRED,
            actor=actor,
            data={"from_id": previous, "to_id": to.pk},
        )
        case_changed_on_commit(
            handoff=handoff, owners=[p for p in (previous, to.pk) if p], as_written=True
        )
    return handoff


def _assign(*, handoff: Handoff, actor: User, to: User, note: str) -> Handoff:
    """A supervisor gives a waiting case to a colleague: claimed on their behalf."""
    now = timezone.now()
    handoff.status = Status.CLAIMED
    handoff.claimed_by = to
    handoff.claimed_at = now
    handoff.version += 1
    handoff.save(update_fields=["status", "claimed_by", "claimed_at", "version", "updated_at"])
    Handover.objects.create(handoff=handoff, by=actor, from_user=None, to_user=to, note=note)
    event_record(
        handoff=handoff,
        kind=EventKind.CLAIMED,
        actor=actor,
        data={
            "to_id": to.pk,
            "assigned_by": actor.pk,
            "waited_s": int((now - handoff.queued_at).total_seconds()),
        },
    )
    _claim_count_on_commit(handoff, now)
    callback_enqueue(handoff=handoff, event=CallbackEvent.CLAIMED)
    case_changed_on_commit(handoff=handoff, owners=[to.pk], as_written=True)
    return handoff


def queue_age() -> int:
    """Flag every waiting case past its tier's target and move it up one tier, once each.
    Safe to run concurrently: the conditional UPDATE lets one runner flag a case. A case that
    fails is skipped (handoff.jobs), so it never holds back the others' escalation. Each case
    commits on its own; dashboards and the floor hear of the whole run in one broadcast (one
    read, one count, one floor redraw), sent even when the run is cut short."""
    now = timezone.now()
    run = CaseRun("queue aging")
    changes: list[CaseChange] = []
    try:
        for tier, seconds in settings.QUEUE_TARGET_SECONDS.items():
            due = Handoff.objects.filter(
                status=Status.QUEUED,
                tier=tier,
                breached_at__isnull=True,
                queued_at__lt=now - timedelta(seconds=seconds),
            ).values_list("pk", flat=True)
            for pk in list(due[:500]):
                with run.case(pk):
                    if _age_one(pk=pk, tier=Tier(tier), seconds=seconds, now=now):
                        changes.append(CaseChange(str(pk), breach=True))
    finally:
        cases_changed_on_commit(changes)
        run.finish()
    return len(changes)


def _age_one(*, pk: UUID, tier: Tier, seconds: int, now: datetime) -> bool:
    """One case past its target, in its own transaction: False if another runner (or a claim)
    got there first."""
    new_tier = tier.one_up()
    updated = Handoff.objects.filter(
        pk=pk, status=Status.QUEUED, tier=tier, breached_at__isnull=True
    ).update(
        breached_at=now,
        tier=new_tier,
        tier_source=TierSource.AGING if new_tier != tier else F("tier_source"),
        version=F("version") + 1,
        updated_at=now,
    )
    if not updated:
        return False
    # The event needs the id and the platform; the broadcast reads what it shows.
    handoff = Handoff.objects.only("id", "platform").get(pk=pk)
    event_record(
        handoff=handoff,
        kind=EventKind.TARGET_BREACHED,
        data={"target_s": seconds, "from_tier": tier.value, "to_tier": new_tier.value},
    )
    alert_raise(
        handoff_id=str(pk),
        kind=AlertKind.TARGET_MISSED,
        text=f"Target missed: a case now {new_tier.label.lower()} waited past {seconds} s.",
        toast=False,  # the run's breach update carries the dashboards' line
        redraw=False,  # and its one floor redraw
    )
    return True
