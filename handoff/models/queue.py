"""The live queue's per-tier counts, kept by the database as the cases change."""

from django.db import models


class QueueDelta(models.Model):
    """One change to how many cases wait in a tier: +n or -n. The database's triggers on the
    case table (migration 0017_queue_counts) append a row whenever a case enters or leaves the
    queue or changes tier while waiting, in the same transaction as the change, whatever code
    made it (a service, a bulk update, the aging task). A tier's waiting count is the sum of its
    rows, so it costs the same with 10 or 10,000 waiting; the rows are folded into one per tier
    from time to time (handoff.queue.selectors.tier_counts). Appending never updates a shared
    row, so concurrent intakes and claims never wait on each other here."""

    tier_rank = models.SmallIntegerField()
    delta = models.IntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tier_rank__gte=1, tier_rank__lte=4),
                name="queuedelta_tier_rank_known",
            )
        ]

    def __str__(self) -> str:
        return f"tier {self.tier_rank}: {self.delta:+d}"
