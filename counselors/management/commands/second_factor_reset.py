import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from counselors import second_factor
from counselors.accounts import second_factor_reset
from counselors.models import User


class Command(BaseCommand):
    help = (
        "Give an account a new authenticator in place of its second factor (a lost phone, or an "
        "account made without one, e.g. by createsuperuser); its sessions end. Prints one JSON "
        'line {"username", "otpauth_uri"}, as staff_create does.'
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError("No account has that username.")
        device = second_factor_reset(user=user, actor=None)
        self.stdout.write(
            json.dumps(
                {"username": user.username, "otpauth_uri": second_factor.otpauth_uri(device)}
            )
        )
