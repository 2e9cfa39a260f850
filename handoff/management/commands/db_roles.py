from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from handoff.audit.roles import ROLE_NAME, grants_sql, role_exists, role_problems


class Command(BaseCommand):
    help = (
        "The grants for the PostgreSQL role the console runs under: everything on its tables "
        "except changing or emptying the event log and its checkpoints. Prints the SQL; "
        "--apply runs it (as the tables' owner) and checks the role; --check only checks. "
        "docs/audit.md says how to set the roles up."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("role", help="the console's role (not the tables' owner)")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--apply", action="store_true")
        action.add_argument("--check", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "db_roles is for PostgreSQL; on SQLite the triggers alone guard the log."
            )
        role = options["role"]
        if not ROLE_NAME.match(role):
            raise CommandError("A role name is lower-case letters, digits and underscores.")
        if not (options["apply"] or options["check"]):
            for statement in grants_sql(role=role):
                self.stdout.write(f"{statement};")
            return
        if options["apply"]:
            if not role_exists(role=role):
                raise CommandError(
                    f"No role {role!r}: CREATE ROLE {role} LOGIN PASSWORD '...' first."
                )
            with transaction.atomic(), connection.cursor() as cursor:
                for statement in grants_sql(role=role):
                    cursor.execute(statement)
        problems = role_problems(role=role)
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{role} can get past the event log's guards, or lacks grants.")
        self.stdout.write(
            f"{role}: reads and writes the console's tables; only inserts into and reads "
            "the event log and its checkpoints; owns nothing."
        )
