from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from handoff.crypto import encrypted_fields, field_rotate, primary_key_id


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value held under an older key with the first key of "
        "FIELD_ENCRYPTION_KEYS, in batches, and print how many per field. Resumable and safe to "
        "run twice (only values under another key are touched). When it reports no unreadable "
        "values, the older keys can be removed from FIELD_ENCRYPTION_KEYS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=500, help="rows per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        batch = options["batch"]
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        primary = primary_key_id()
        total = unreadable = 0
        for model, field in encrypted_fields():
            result = field_rotate(model, field, batch=batch)
            total += result.rotated
            unreadable += result.unreadable
            line = f"{model._meta.label}.{field.name}: {result.rotated} re-encrypted"
            if result.unreadable:
                line += f", {result.unreadable} unreadable with the configured keys"
            self.stdout.write(line)
        self.stdout.write(f"{total} value(s) now under key {primary!r}.")
        if unreadable:
            raise CommandError(
                f"{unreadable} value(s) could not be read with any configured key: keep every "
                "key until they are accounted for."
            )
