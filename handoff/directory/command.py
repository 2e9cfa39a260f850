"""The shared shape of the directory import commands: a file in, the whole file or nothing."""

import sys
from argparse import ArgumentParser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from handoff.directory.imports import (
    ConcurrentImport,
    ImportResult,
    refusal_message,
    summary_message,
)


class DirectoryImportCommand(BaseCommand):
    noun: str  # "emergency centers"
    importer: Callable[..., ImportResult]

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", help="CSV file, or - for standard input")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report what would change"
        )
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help=f"deactivate active {self.noun} in the file's states that the file does not list",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data = read_input(options["path"])
        try:
            result = self.importer(
                data,
                dry_run=options["dry_run"],
                deactivate_missing=options["deactivate_missing"],
            )
        except ConcurrentImport as exc:
            raise CommandError(str(exc)) from exc
        if not result.ok:
            raise CommandError(refusal_message(options["path"], result))
        self.stdout.write(summary_message(result, self.noun))


def read_input(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
