import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from counselors import second_factor
from counselors.models import Role, User
from counselors.services import staff_create


class Command(BaseCommand):
    help = (
        "Create a staff account, enrolled in the second factor. The password is read from "
        'standard input; prints one JSON line {"username", "otpauth_uri"}: the URI (or its QR '
        "code) goes into the person's authenticator app."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", choices=Role.values, required=True)
        parser.add_argument("--display-name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("No password on standard input.")
        username: str = options["username"]
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        try:
            validate_password(password, User(username=username))
            user = staff_create(
                username=username,
                password=password,
                role=Role(options["role"]),
                display_name=options["display_name"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        device = second_factor.authenticator_of(user)
        self.stdout.write(
            json.dumps(
                {"username": user.username, "otpauth_uri": second_factor.otpauth_uri(device)}
            )
        )
