import json
import secrets
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from counselors import second_factor
from counselors.models import Role, User
from counselors.services import staff_create
from handoff import runtime
from handoff.models import Platform
from handoff.platforms import platform_create

DEMO_ACCOUNTS = (
    ("counselor", Role.COUNSELOR, "Casey (demo counselor)"),
    ("counselor2", Role.COUNSELOR, "Jordan (demo counselor)"),
    ("supervisor", Role.SUPERVISOR, "Morgan (demo supervisor)"),
)


class Command(BaseCommand):
    help = (
        "Run the console in one process with a demo platform and demo accounts. New demo "
        "passwords are printed at every start."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Set up and print, then exit")
        parser.add_argument(
            "--second-factor",
            action="store_true",
            help="Keep the second factor on (each demo account's authenticator URI is printed)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The one place the second factor may be turned off: this demo's own process. Every
        # page then says so (templates/base.html).
        settings.OTP_REQUIRED = bool(options["second_factor"])
        call_command("migrate", verbosity=0, interactive=False)
        platform = Platform.objects.filter(slug="demo").first()
        if platform is None:
            platform_create(slug="demo", name="Demo chat platform")
            platform = Platform.objects.get(slug="demo")
        inbound = platform.inbound_secrets.order_by("-created_at").first()
        assert inbound is not None
        accounts = []
        uris: dict[str, str] = {}
        for username, role, display in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(9)
            user = User.objects.filter(username=username).first()
            if user is None:
                user = staff_create(
                    username=username, password=password, role=role, display_name=display
                )
                device = second_factor.authenticator_of(user)
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
                device = second_factor.enroll(user=user) if settings.OTP_REQUIRED else None
            if settings.OTP_REQUIRED:
                uris[username] = second_factor.otpauth_uri(device)
            accounts.append((username, role, password))

        base = f"http://{options['host']}:{options['port']}"
        mode = "embedded (SQLite, in-process)" if settings.EMBEDDED else "PostgreSQL + Redis"
        out = self.stdout
        out.write(f"Handoff Console demo: {mode}")
        out.write(f"  console:   {base}/  (sign in at {base}/accounts/login/)")
        for username, role, password in accounts:
            out.write(f"  {role:<10} username {username:<11} password {password}")
            if username in uris:
                out.write(f"             authenticator {uris[username]}")
        if not settings.OTP_REQUIRED:
            out.write("  second factor: OFF for this demo (--second-factor keeps it on)")
        out.write(f"  platform:  slug demo, inbound signing secret {inbound.secret}")
        out.write("  post a signed handoff (another terminal):")
        out.write(
            f"    uv run python manage.py post_handoff --url {base} --platform demo "
            f"--secret {inbound.secret}"
        )
        out.write(
            "DEMO-READY "
            + json.dumps(
                {
                    "url": base,
                    "platform": "demo",
                    "inbound_secret": inbound.secret,
                    "accounts": {u: p for u, _, p in accounts},
                }
            )
        )
        self.stdout.flush()
        if options["no_serve"]:
            return
        # Not at the top: importing daphne's server installs Twisted's reactor, which only
        # serving should do (`--no-serve` and the tests import this module too).
        from daphne.cli import CommandLineInterface

        runtime.start()

        CommandLineInterface().run(
            [
                "--bind",
                options["host"],
                "--port",
                str(options["port"]),
                # The console logs each request itself (handoff.middleware), with its ids.
                "--verbosity",
                "0",
                "config.asgi:application",
            ]
        )
