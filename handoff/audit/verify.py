"""Verify the event log: every chain link by link, against the signed checkpoints, and the
guards (triggers) that keep the tables append-only. Reads only; `manage.py audit_verify`.

What it catches, and what it cannot, is in docs/audit.md.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import connection

from handoff import chain
from handoff.audit.checkpoints import checkpoint_body
from handoff.models import AuditCheckpoint, HandoffEvent

# Chains read per query when only some are checked (a case, a period).
CHUNK = 500

_EVENT_COLUMNS = (
    "id",
    "handoff_id",
    "seq",
    "kind",
    "at",
    "actor_id",
    "platform_id",
    "data",
    "prev_hash",
    "hash",
)

# The triggers that must be there, and on PostgreSQL fire whatever session_replication_role
# says (ENABLE ALWAYS).
PG_GUARDS = {
    "handoff_handoffevent": ("handoff_event_append_only", "handoff_event_no_truncate"),
    "handoff_auditcheckpoint": ("handoff_checkpoint_append_only", "handoff_checkpoint_no_truncate"),
}
SQLITE_GUARDS = {
    "handoff_handoffevent": ("handoff_event_no_update", "handoff_event_no_delete"),
    "handoff_auditcheckpoint": ("handoff_checkpoint_no_update", "handoff_checkpoint_no_delete"),
}


def chain_name(chain_id: UUID) -> str:
    return "the console's own chain" if chain_id == chain.CONSOLE_CHAIN else f"case {chain_id}"


@dataclass(frozen=True)
class Problem:
    """One broken link: the event (or checkpoint) it shows at, and what is wrong."""

    what: str
    event_id: int | None = None
    chain_id: UUID | None = None
    seq: int | None = None
    checkpoint: int | None = None

    def __str__(self) -> str:
        if self.event_id is not None and self.chain_id is not None:
            return (
                f"event {self.event_id} ({chain_name(self.chain_id)}, seq {self.seq}): {self.what}"
            )
        if self.chain_id is not None:
            return f"{chain_name(self.chain_id)}: {self.what}"
        if self.checkpoint is not None:
            return f"checkpoint {self.checkpoint}: {self.what}"
        return self.what


@dataclass
class Report:
    events: int = 0
    chains: int = 0
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Signed:
    """What the newest checkpoint naming a chain signed of it."""

    seq: int
    hash: str
    checkpoint: int


def _hash_problem(stored: str, body: str) -> str | None:
    try:
        if chain.verifies(stored, body):
            return None
    except chain.UnknownKey as exc:
        return f"signed with key {exc.kid!r}, which is not configured (AUDIT_CHAIN_KEYS)"
    return "its hash does not match its contents: changed after it was written, or forged"


# --- checkpoints -------------------------------------------------------------------------------


def _checkpoints(report: Report) -> tuple[dict[UUID, Signed], list[tuple[datetime, UUID]]]:
    """Check the checkpoints' own chain; fold the heads of those that verify (newest wins)."""
    signed: dict[UUID, Signed] = {}
    when: list[tuple[datetime, UUID]] = []
    expected, prev = 1, chain.GENESIS
    for checkpoint in AuditCheckpoint.objects.order_by("seq").iterator(chunk_size=CHUNK):
        report.checkpoints += 1
        problem = None
        if checkpoint.seq != expected:
            problem = f"checkpoints {expected} to {checkpoint.seq - 1} are missing"
        elif checkpoint.prev_hash != prev:
            problem = "it does not link to the checkpoint before it"
        else:
            problem = _hash_problem(checkpoint.hash, checkpoint_body(checkpoint))
        expected, prev = checkpoint.seq + 1, checkpoint.hash
        if problem:
            report.problems.append(Problem(problem, checkpoint=checkpoint.seq))
            continue
        for key, (seq, head_hash) in checkpoint.heads.items():
            chain_id = UUID(key)
            signed[chain_id] = Signed(seq=seq, hash=head_hash, checkpoint=checkpoint.seq)
            when.append((checkpoint.at, chain_id))
    return signed, when


# --- chains ------------------------------------------------------------------------------------


class _Chain:
    """One chain read in order: the first broken link is kept, the rest only counted."""

    def __init__(self, chain_id: UUID, signed: Signed | None) -> None:
        self.chain_id = chain_id
        self.signed = signed
        self.next_seq = 1
        self.prev = chain.GENESIS
        self.hash_at_signed: str | None = None
        self.problem: Problem | None = None

    def add(self, row: tuple[Any, ...]) -> None:
        event_id, chain_id, seq, kind, at, actor_id, platform_id, data, prev_hash, stored = row
        if self.signed and seq == self.signed.seq:
            self.hash_at_signed = stored
        if self.problem:
            return
        what = None
        if seq != self.next_seq:
            missing = (
                str(self.next_seq) if seq == self.next_seq + 1 else f"{self.next_seq} to {seq - 1}"
            )
            what = f"the event(s) before it (seq {missing}) are missing: deleted"
        else:
            body = chain.event_body(
                prev_hash=prev_hash,
                chain=chain_id,
                seq=seq,
                kind=kind,
                at=at,
                actor_id=actor_id,
                platform_id=platform_id,
                data=data,
            )
            what = _hash_problem(stored, body)
            if what is None and prev_hash != self.prev:
                what = (
                    f"it does not link to the event before it (seq {seq - 1}): "
                    "reordered or replaced"
                )
        if what:
            self.problem = Problem(what, event_id=event_id, chain_id=chain_id, seq=seq)
        self.next_seq, self.prev = seq + 1, stored

    def end(self) -> Problem | None:
        if self.problem:
            return self.problem
        last = self.next_seq - 1
        if self.signed is None:
            return None
        if last < self.signed.seq:
            return Problem(
                f"its events after seq {last} are missing: checkpoint {self.signed.checkpoint} "
                f"signed it up to seq {self.signed.seq}",
                chain_id=self.chain_id,
            )
        if self.hash_at_signed != self.signed.hash:
            return Problem(
                f"its event at seq {self.signed.seq} is not the one checkpoint "
                f"{self.signed.checkpoint} signed",
                chain_id=self.chain_id,
                seq=self.signed.seq,
            )
        return None


def _rows(chains: list[UUID] | None) -> Iterator[tuple[Any, ...]]:
    """Events in chain order: all of them, or those of the given chains."""
    events = HandoffEvent.objects.order_by("handoff_id", "seq").values_list(*_EVENT_COLUMNS)
    if chains is None:
        yield from events.iterator(chunk_size=2000)
        return
    for i in range(0, len(chains), CHUNK):
        yield from events.filter(handoff_id__in=chains[i : i + CHUNK]).iterator(chunk_size=2000)


def verify(
    *,
    case: UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Report:
    """Check the whole log, one case's chain, or the chains with an event or a checkpoint in
    [since, until) (each chain whole, from its first event)."""
    report = Report()
    report.problems += guard_problems()
    signed, signed_when = _checkpoints(report)
    scope: list[UUID] | None = None
    if case is not None:
        scope = [case]
    elif since is not None or until is not None:
        events = HandoffEvent.objects.all()
        if since is not None:
            events = events.filter(at__gte=since)
        if until is not None:
            events = events.filter(at__lt=until)
        found = set(events.order_by().values_list("handoff_id", flat=True).distinct())
        found |= {
            c
            for at, c in signed_when
            if (since is None or at >= since) and (until is None or at < until)
        }
        scope = sorted(found)
    seen: set[UUID] = set()
    current: _Chain | None = None
    for row in _rows(scope):
        report.events += 1
        if current is None or row[1] != current.chain_id:
            _finish(current, report)
            current = _Chain(row[1], signed.get(row[1]))
            seen.add(row[1])
        current.add(row)
    _finish(current, report)
    for chain_id in sorted(set(signed) - seen if scope is None else set(scope) - seen):
        if chain_id in signed:
            s = signed[chain_id]
            report.problems.append(
                Problem(
                    f"every event is missing: checkpoint {s.checkpoint} signed it up to "
                    f"seq {s.seq}",
                    chain_id=chain_id,
                )
            )
    report.chains = len(seen)
    return report


def _finish(current: _Chain | None, report: Report) -> None:
    if current is not None and (problem := current.end()):
        report.problems.append(problem)


# --- guards ------------------------------------------------------------------------------------


def guard_problems() -> list[Problem]:
    """Each trigger that should refuse changes to the log and is missing or not always on."""
    problems = []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.oid = ANY(%s::regclass[]) AND NOT t.tgisinternal",
                [list(PG_GUARDS)],
            )
            found = {(table, name): enabled for table, name, enabled in cursor.fetchall()}
        for table, names in PG_GUARDS.items():
            for name in names:
                state = found.get((table, name))
                if state is None:
                    problems.append(Problem(f"guard missing: trigger {name} on {table}"))
                elif state != "A":
                    problems.append(
                        Problem(
                            f"guard not always on: trigger {name} on {table} "
                            f"(ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name})"
                        )
                    )
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
            present = set(cursor.fetchall())
        for table, names in SQLITE_GUARDS.items():
            for name in names:
                if (table, name) not in present:
                    problems.append(Problem(f"guard missing: trigger {name} on {table}"))
    return problems
