from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from handoff.retention.services import cases_expired, cases_held_back, purge_expired


class Command(BaseCommand):
    help = (
        "Erase the personal content of every case that ended (closed or withdrawn) more than "
        "its platform's retention days ago, as the daily job does. Resumable, batched and safe "
        "to run twice; a case that fails is reported and left for the next run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be erased; change nothing"
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=None,
            help="cases per batch (default RETENTION_PURGE_BATCH)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch = options["batch"] or settings.RETENTION_PURGE_BATCH
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        if options["dry_run"]:
            by_platform = (
                cases_expired()
                .values_list("platform__slug")
                .annotate(n=Count("id"))
                .order_by("platform__slug")
            )
            total = 0
            for slug, n in by_platform:
                self.stdout.write(f"{slug}: {n} case(s) would be erased")
                total += n
            self.stdout.write(f"{total} case(s) would be erased (dry run: nothing changed).")
            self._held_back(cases_held_back().count())
            return
        result = purge_expired(batch=batch)
        self.stdout.write(f"{result.erased} case(s) erased.")
        self._held_back(result.held_back)
        if result.skipped:
            raise CommandError(
                f"{result.skipped} case(s) could not be erased this run (logged by id); "
                "run again to retry them."
            )

    def _held_back(self, count: int) -> None:
        if count:
            self.stdout.write(
                f"{count} case(s) past retention kept for an open follow-up: they are erased "
                "once it is done."
            )
