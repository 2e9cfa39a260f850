import json
import sys
import uuid
from argparse import ArgumentParser
from typing import Any

import httpx
from django.core.management.base import BaseCommand, CommandError

from handoff.demo.sample import sample_handoff
from handoff.models import Tier
from handoff.signing import sign_headers


class Command(BaseCommand):
    help = (
        "Post a signed handoff to a running console, as a platform would. The body is a "
        "fictional sample, or a JSON file given with --body."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--platform", default="demo")
        parser.add_argument("--secret", required=True, help="The platform's inbound whsec_ secret")
        parser.add_argument("--level", default=Tier.HIGH.value, choices=Tier.values)
        parser.add_argument("--body", help="Path to a JSON body, or - for standard input")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["body"] == "-":
            payload = sys.stdin.read()
        elif options["body"]:
            with open(options["body"], encoding="utf-8") as fh:
                payload = fh.read()
        else:
            payload = json.dumps(sample_handoff(level=options["level"]))
        body = payload.encode()
        headers = sign_headers(
            secret=options["secret"], msg_id=f"msg_{uuid.uuid4().hex}", body=body
        )
        headers["content-type"] = "application/json"
        url = f"{options['url'].rstrip('/')}/api/v1/platforms/{options['platform']}/handoffs"
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=10)
        except httpx.HTTPError as exc:
            raise CommandError(f"Could not reach {url}: {exc}") from exc
        self.stdout.write(f"{response.status_code} {response.text}")
        if response.status_code >= 300:
            raise CommandError("The console refused the handoff.")
