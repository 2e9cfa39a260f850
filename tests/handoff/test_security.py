"""No inline script or handler anywhere, a strict CSP on every page, admin read-only where it
must be."""

import re
from pathlib import Path

import pytest
from django.test import Client

from counselors.models import Role
from tests.support.factories import handoff_body, post_signed
from tests.support.staff import make_staff, signed_in

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"\sstyle\s*=|<style", re.IGNORECASE)


def test_templates_have_no_inline_script_handler_or_style() -> None:
    files = list(TEMPLATES.rglob("*.html"))
    assert files
    for path in files:
        text = path.read_text()
        assert not INLINE_SCRIPT.search(text), path
        assert not INLINE_HANDLER.search(text), path
        assert not INLINE_STYLE.search(text), path


@pytest.mark.django_db
def test_every_console_page_sends_a_strict_csp(platform_factory) -> None:
    p = platform_factory()
    case_id = post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body()).json()[
        "id"
    ]
    client = signed_in(make_staff("casey"))
    for url in ("/accounts/login/", "/", f"/cases/{case_id}/", f"/cases/{case_id}/emergency"):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, url
        assert "frame-ancestors 'none'" in policy


@pytest.mark.django_db
def test_admin_shows_platforms_without_secrets_and_the_log_read_only(platform_factory) -> None:
    p = platform_factory()
    post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body())
    admin = signed_in(make_staff("root", role=Role.ADMIN))
    page = admin.get(f"/admin/handoff/platform/{p.platform.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert p.inbound_secret not in body and p.outbound_secret not in body
    assert admin.get("/admin/handoff/platform/add/").status_code == 403
    log = admin.get("/admin/handoff/handoffevent/")
    assert log.status_code == 200 and "received" in log.content.decode().lower()
    assert admin.get("/admin/handoff/handoffevent/add/").status_code == 403
    # Counselors do not get the admin.
    assert signed_in(make_staff("casey")).get("/admin/").status_code == 302
