from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from handoff.directory.imports import (
    TEAM_COLUMNS,
    ConcurrentImport,
    import_mobile_crisis_teams,
    refusal_message,
    summary_message,
)
from handoff.management.commands.import_emergency_centers import read_input


class Command(BaseCommand):
    help = (
        "Import mobile crisis teams from a UTF-8 CSV with the header "
        f"{','.join(TEAM_COLUMNS)}. Rows create or update teams by name; a file with any bad "
        "row is refused whole."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", help="CSV file, or - for standard input")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report what would change"
        )
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="deactivate active teams in the file's states that the file does not list",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data = read_input(options["path"])
        try:
            result = import_mobile_crisis_teams(
                data,
                dry_run=options["dry_run"],
                deactivate_missing=options["deactivate_missing"],
            )
        except ConcurrentImport as exc:
            raise CommandError(str(exc)) from exc
        if not result.ok:
            raise CommandError(refusal_message(options["path"], result))
        self.stdout.write(summary_message(result, "mobile crisis teams"))
