from argparse import ArgumentParser
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError

from handoff.audit.verify import verify
from handoff.history.selectors import console_day_start

# Problems listed after the first; the rest are counted.
SHOWN = 50


def _day(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{flag}: expected a date like 2025-03-10.", returncode=2) from None


class Command(BaseCommand):
    help = (
        "Verify the event log's hash chains, its checkpoints and its guards; exit 1 naming the "
        "first broken link. --from/--to (days in TIME_ZONE, inclusive) check every case with an "
        "event or a checkpoint in the period, each case's chain whole; --case checks one case."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--from", dest="start", metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", metavar="YYYY-MM-DD")
        parser.add_argument("--case", metavar="UUID")

    def handle(self, *args: Any, **options: Any) -> None:
        start, end = _day(options["start"], "--from"), _day(options["end"], "--to")
        if start and end and start > end:
            raise CommandError("--from is after --to.", returncode=2)
        case = None
        if options["case"] is not None:
            if start or end:
                raise CommandError(
                    "--case checks the case's whole chain: leave out --from and --to.",
                    returncode=2,
                )
            try:
                case = UUID(options["case"])
            except ValueError:
                raise CommandError("--case: expected a case id (a UUID).", returncode=2) from None
        report = verify(
            case=case,
            since=console_day_start(start) if start else None,
            until=console_day_start(end + timedelta(days=1)) if end else None,
        )
        counts = (
            f"{report.events} event(s) in {report.chains} chain(s), "
            f"{report.checkpoints} checkpoint(s)"
        )
        if report.ok:
            self.stdout.write(f"audit log verified: {counts}; guards in place.")
            return
        for problem in report.problems[:SHOWN]:
            self.stderr.write(f"BROKEN {problem}")
        if len(report.problems) > SHOWN:
            self.stderr.write(f"... and {len(report.problems) - SHOWN} more")
        raise CommandError(
            f"audit log broken ({len(report.problems)} problem(s) in {counts}); "
            f"first: {report.problems[0]}",
            returncode=1,
        )
