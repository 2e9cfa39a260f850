from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from handoff.crypto import generate_key


class Command(BaseCommand):
    help = "Print a new field-encryption key as an entry for FIELD_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"k{timezone.now():%Y%m%d}:{generate_key()}")
