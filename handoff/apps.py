from django.apps import AppConfig

from handoff import dbtypes
from handoff.monitoring import celery_signals, metrics


class HandoffConfig(AppConfig):
    name = "handoff"
    verbose_name = "Handoffs"

    def ready(self) -> None:
        dbtypes.connect_signal()
        # Connects the queue's receivers (a relayed message settling) in every process, web
        # or worker; models must be loaded first, so not at the top of this module.
        from handoff import platforms  # noqa: F401  (a changed platform stales every cache)
        from handoff.models import Outcome, Tier
        from handoff.queue import notify  # noqa: F401
        from handoff.reviews import services  # noqa: F401  (marks cases for review)

        metrics.labels_init(tiers=Tier.values, outcomes=Outcome.values)
        celery_signals.connect()
