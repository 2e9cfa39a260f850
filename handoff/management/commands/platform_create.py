import json
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from handoff.models import Platform
from handoff.platforms import platform_create


class Command(BaseCommand):
    help = "Create a platform and print its slug and secrets as one JSON object (shown once)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--callback-url", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        if Platform.objects.filter(slug=options["slug"]).exists():
            raise CommandError(f"A platform with slug {options['slug']!r} already exists.")
        try:
            created = platform_create(
                slug=options["slug"], name=options["name"], callback_url=options["callback_url"]
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            json.dumps(
                {
                    "slug": created.slug,
                    "inbound_secret": created.inbound_secret,
                    "outbound_secret": created.outbound_secret,
                }
            )
        )
