import json
from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from handoff.models import Platform
from handoff.platforms import platform_rotate_inbound, platform_rotate_outbound


class Command(BaseCommand):
    help = (
        "Rotate a platform's secret and print the new one once. Inbound: the old secret keeps "
        "verifying for --grace-hours so the platform can switch without refusals."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--which", choices=["inbound", "outbound"], default="inbound")
        parser.add_argument("--grace-hours", type=float, default=24.0)

    def handle(self, *args: Any, **options: Any) -> None:
        platform = Platform.objects.filter(slug=options["slug"]).first()
        if platform is None:
            raise CommandError(f"No platform with slug {options['slug']!r}.")
        if options["grace_hours"] < 0:
            raise CommandError("--grace-hours must not be negative.")
        if options["which"] == "inbound":
            grace = timedelta(hours=options["grace_hours"])
            secret = platform_rotate_inbound(platform=platform, grace=grace)
            out = {
                "slug": platform.slug,
                "inbound_secret": secret,
                "previous_expire_in_hours": options["grace_hours"],
            }
        else:
            secret = platform_rotate_outbound(platform=platform)
            out = {"slug": platform.slug, "outbound_secret": secret}
        self.stdout.write(json.dumps(out))
