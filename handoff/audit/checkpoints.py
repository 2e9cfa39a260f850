"""Checkpoints: from time to time, sign where every chain that grew now ends.

A chain's own links catch an edit, a deletion or a swap inside it; only something outside the
chain can say that it used to be longer, or existed at all. Each checkpoint lists the heads of
the chains that grew since the one before, and is itself a link in a chain of checkpoints.
Chains appended to while a checkpoint is taken are skipped (their heads are locked) and signed
by the next one, so a checkpoint never waits on intake.
"""

import logging

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from handoff import chain
from handoff.models import AuditCheckpoint, EventChainHead

logger = logging.getLogger(__name__)

# Heads signed per checkpoint: a backlog (the first run after chaining an old log) makes several.
BATCH = 2000


def checkpoint_body(checkpoint: AuditCheckpoint) -> str:
    return chain.checkpoint_body(
        prev_hash=checkpoint.prev_hash,
        seq=checkpoint.seq,
        at=checkpoint.at,
        heads=checkpoint.heads,
    )


def checkpoints_record(*, batch: int = BATCH) -> list[AuditCheckpoint]:
    """Sign every chain head that moved since it was last signed; [] when none did."""
    made: list[AuditCheckpoint] = []
    while True:
        try:
            checkpoint = _checkpoint_one(batch)
        except IntegrityError:
            # Another writer took this checkpoint's number at the same moment: it signs.
            return made
        if checkpoint is None:
            return made
        made.append(checkpoint)
        # The hash in the log too: a copy outside the database anchors the newest checkpoint.
        logger.info(
            "audit checkpoint %s: %d chain(s) signed, hash %s",
            checkpoint.seq,
            len(checkpoint.heads),
            checkpoint.hash,
        )
        if len(checkpoint.heads) < batch:
            return made


def _checkpoint_one(batch: int) -> AuditCheckpoint | None:
    with transaction.atomic():
        # Two writers at once take the same number: the unique seq refuses the second (which
        # may not lock the table: the console's role only inserts into and reads it).
        last = AuditCheckpoint.objects.order_by("-seq").first()
        heads = list(
            EventChainHead.objects.select_for_update(skip_locked=True)
            .filter(seq__gt=F("checkpointed_seq"))
            .order_by("chain_id")[:batch]
        )
        if not heads:
            return None
        checkpoint = AuditCheckpoint(
            seq=last.seq + 1 if last else 1,
            at=timezone.now(),
            heads={str(h.chain_id): [h.seq, h.hash] for h in heads},
            prev_hash=last.hash if last else chain.GENESIS,
        )
        checkpoint.hash = chain.sign(checkpoint_body(checkpoint))
        checkpoint.save(force_insert=True)
        for head in heads:
            head.checkpointed_seq = head.seq
        EventChainHead.objects.bulk_update(heads, ["checkpointed_seq"])
        return checkpoint
