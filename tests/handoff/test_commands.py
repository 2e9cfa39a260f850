"""Operator commands: platform_create, platform_rotate_secret, staff_create."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from counselors.models import User
from handoff.models import Platform
from tests.support.factories import handoff_body, post_signed

pytestmark = pytest.mark.django_db


def _run(*args: str, stdin: str = "") -> str:
    out = io.StringIO()
    import sys
    from unittest import mock

    with mock.patch.object(sys, "stdin", io.StringIO(stdin)):
        call_command(*args, stdout=out)
    return out.getvalue()


def test_platform_create_prints_one_json_object_whose_secret_signs(client: Client) -> None:
    out = json.loads(
        _run(
            "platform_create",
            "acme",
            "--name",
            "Acme Chat",
            "--callback-url",
            "https://acme.example/hooks",
        )
    )
    assert set(out) == {"slug", "inbound_secret", "outbound_secret"}
    assert out["slug"] == "acme"
    assert out["inbound_secret"].startswith("whsec_")
    assert out["outbound_secret"].startswith("whsec_")
    platform = Platform.objects.get(slug="acme")
    assert platform.callback_url == "https://acme.example/hooks"
    response = post_signed(
        client, "/api/v1/platforms/acme/handoffs", secret=out["inbound_secret"], body=handoff_body()
    )
    assert response.status_code == 202
    with pytest.raises(CommandError, match="already exists"):
        _run("platform_create", "acme", "--name", "Again")


def test_rotate_inbound_secret_keeps_old_one_for_the_grace_period(client: Client) -> None:
    old = json.loads(_run("platform_create", "rot", "--name", "Rot"))["inbound_secret"]
    new = json.loads(_run("platform_rotate_secret", "rot", "--grace-hours", "1"))["inbound_secret"]
    assert new != old
    url = "/api/v1/platforms/rot/handoffs"
    assert post_signed(client, url, secret=old, body=handoff_body()).status_code == 202
    assert post_signed(client, url, secret=new, body=handoff_body()).status_code == 202

    newest = json.loads(_run("platform_rotate_secret", "rot", "--grace-hours", "0"))[
        "inbound_secret"
    ]
    assert post_signed(client, url, secret=new, body=handoff_body()).status_code == 401
    assert post_signed(client, url, secret=newest, body=handoff_body()).status_code == 202


def test_rotate_outbound_secret(client: Client) -> None:
    created = json.loads(_run("platform_create", "out", "--name", "Out"))
    rotated = json.loads(_run("platform_rotate_secret", "out", "--which", "outbound"))
    assert rotated["outbound_secret"] != created["outbound_secret"]
    assert Platform.objects.get(slug="out").outbound_secret == rotated["outbound_secret"]


def test_staff_create_reads_the_password_from_stdin(client: Client) -> None:
    _run("staff_create", "dana", "--role", "supervisor", stdin="a-long-passphrase-2026\n")
    user = User.objects.get(username="dana")
    assert user.role == "supervisor"
    assert user.check_password("a-long-passphrase-2026")
    with pytest.raises(CommandError, match="already exists"):
        _run("staff_create", "dana", "--role", "counselor", stdin="another-passphrase-9\n")
    with pytest.raises(CommandError, match=r"too short|too common"):
        _run("staff_create", "eli", "--role", "counselor", stdin="abc\n")
    with pytest.raises(CommandError, match="No password"):
        _run("staff_create", "fay", "--role", "counselor", stdin="")
    assert not User.objects.filter(username__in=["eli", "fay"]).exists()


def test_old_webhook_ids_are_forgotten_after_the_window(client: Client, settings) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from handoff.models import WebhookDelivery
    from handoff.tasks import webhook_deliveries_purge_task

    created = json.loads(_run("platform_create", "purge", "--name", "Purge"))
    url = "/api/v1/platforms/purge/handoffs"
    post_signed(client, url, secret=created["inbound_secret"], body=handoff_body(), msg_id="old")
    post_signed(client, url, secret=created["inbound_secret"], body=handoff_body(), msg_id="new")
    WebhookDelivery.objects.filter(webhook_id="old").update(
        received_at=timezone.now() - timedelta(days=settings.INTAKE_IDEMPOTENCY_DAYS, minutes=1)
    )
    assert webhook_deliveries_purge_task() == 1
    assert list(WebhookDelivery.objects.values_list("webhook_id", flat=True)) == ["new"]
