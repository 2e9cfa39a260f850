"""What every response tells the browser: a strict Content Security Policy (the admin's too), a
Permissions-Policy that switches off what the console does not use, Referrer-Policy and
Cross-Origin-Opener-Policy; on console pages, the admin, the platform API and error pages alike.
And a session cookie that ends with the browser session."""

import asyncio
from typing import Any

import pytest
from channels.testing import HttpCommunicator
from django.test import Client

from config.asgi import application
from counselors.models import Role
from tests.support.factories import handoff_body, post_signed
from tests.support.staff import make_staff, signed_in

pytestmark = pytest.mark.django_db

STRICT_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Features a page of the console could be tricked into asking for; none is used.
SWITCHED_OFF = ("camera", "microphone", "geolocation", "payment", "usb", "display-capture")


def _directives(header: str) -> dict[str, list[str]]:
    parts = [part.split() for part in header.split(";") if part.strip()]
    return {words[0]: words[1:] for words in parts}


def _header_problems(headers: Any) -> list[str]:
    problems = []
    if headers.get("Referrer-Policy") != "same-origin":
        problems.append(f"Referrer-Policy {headers.get('Referrer-Policy')!r}")
    if headers.get("Cross-Origin-Opener-Policy") != "same-origin":
        problems.append(f"Cross-Origin-Opener-Policy {headers.get('Cross-Origin-Opener-Policy')!r}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if headers.get("X-Frame-Options") != "DENY":
        problems.append(f"X-Frame-Options {headers.get('X-Frame-Options')!r}")
    permissions = dict(
        item.strip().split("=", 1)
        for item in headers.get("Permissions-Policy", "").split(",")
        if item
    )
    for feature in SWITCHED_OFF:
        if permissions.get(feature) != "()":
            problems.append(f"Permissions-Policy leaves {feature} {permissions.get(feature)!r}")
    # The queue and the floor sound an alert, from the console itself.
    if permissions.get("autoplay") != "(self)":
        problems.append(f"Permissions-Policy autoplay {permissions.get('autoplay')!r}")
    csp = headers.get("Content-Security-Policy", "")
    if not csp:
        problems.append("no Content-Security-Policy")
    elif "unsafe-" in csp:
        problems.append(f"CSP allows something unsafe: {csp}")
    else:
        directives = _directives(csp)
        for name, sources in STRICT_CSP.items():
            if directives.get(name) != sources:
                problems.append(f"CSP {name} {directives.get(name)!r}, expected {sources!r}")
    return problems


def _assert_headers(responses: dict[str, Any]) -> None:
    failures = [
        f"{where}: {problem}"
        for where, response in responses.items()
        for problem in _header_problems(response.headers)
    ]
    assert not failures, "\n".join(failures)


def _case(platform_factory: Any) -> tuple[Any, str]:
    p = platform_factory()
    response = post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body())
    assert response.status_code == 202
    return p, str(response.json()["id"])


def test_console_pages(platform_factory) -> None:
    _, case_id = _case(platform_factory)
    supervisor = signed_in(make_staff("morgan", role=Role.SUPERVISOR))
    _assert_headers(
        {
            "sign-in page": Client().get("/accounts/login/"),
            "dashboard": supervisor.get("/"),
            "case page": supervisor.get(f"/cases/{case_id}/"),
            "emergency screen": supervisor.get(f"/cases/{case_id}/emergency"),
            "floor": supervisor.get("/floor/"),
            "report CSV": supervisor.get("/reports.csv"),
            "export": supervisor.get(f"/cases/{case_id}/export"),
            "redirect to sign in": Client().get("/"),
        }
    )


def test_the_admin_has_the_same_strict_policy(platform_factory) -> None:
    p, _ = _case(platform_factory)
    admin_user = make_staff("root", role=Role.ADMIN)
    admin = signed_in(admin_user)
    responses = {
        "admin sign-in": Client().get("/admin/login/"),
        "admin index": admin.get("/admin/"),
        "admin list": admin.get("/admin/handoff/handoffevent/"),
        "admin change form": admin.get(f"/admin/counselors/user/{admin_user.pk}/change/"),
        "admin platform": admin.get(f"/admin/handoff/platform/{p.platform.pk}/change/"),
        "admin not found": admin.get("/admin/handoff/nothing/"),
    }
    assert responses["admin index"].status_code == 200
    assert responses["admin change form"].status_code == 200
    _assert_headers(responses)


def test_the_platform_api(platform_factory) -> None:
    p, _ = _case(platform_factory)
    client = Client()
    _assert_headers(
        {
            "accepted": post_signed(client, p.url(), secret=p.inbound_secret, body=handoff_body()),
            "refused signature": post_signed(client, p.url(), secret="whsec_" + "A" * 32, body={}),
            "schema error": post_signed(client, p.url(), secret=p.inbound_secret, body={}),
            "openapi": client.get("/api/v1/openapi.json"),
            "not found": client.get("/api/v1/nothing"),
        }
    )


@pytest.mark.urls("tests.config.urls_failing")
def test_error_pages() -> None:
    staff = signed_in(make_staff("casey"))
    staff.raise_request_exception = False
    csrf_checked = Client(enforce_csrf_checks=True)
    responses = {
        "404": staff.get("/no/such/page"),
        "405": staff.get("/me/availability"),
        "403 (CSRF)": csrf_checked.post("/accounts/login/", {"username": "x", "password": "y"}),
        "500": staff.get("/test-only/fail"),
    }
    assert [r.status_code for r in responses.values()] == [404, 405, 403, 500]
    _assert_headers(responses)


def test_through_the_asgi_application() -> None:
    """The deployed path (daphne, config.asgi) sends them too."""

    async def get() -> dict[str, Any]:
        communicator = HttpCommunicator(
            application, "GET", "/accounts/login/", headers=[(b"host", b"127.0.0.1")]
        )
        return dict(await communicator.get_response(timeout=10))

    response = asyncio.run(get())
    assert response["status"] == 200
    headers = {k.decode().title(): v.decode() for k, v in response["headers"]}
    assert not _header_problems(headers), _header_problems(headers)


@pytest.mark.urls("tests.config.urls_failing")
def test_the_session_cookie_ends_with_the_browser_session() -> None:
    client = signed_in(make_staff("casey"))
    response = client.get("/test-only/session")
    cookie = response.cookies["sessionid"]
    assert cookie.value
    # No Expires or Max-Age: the browser forgets it when it closes.
    assert not cookie["expires"] and not cookie["max-age"]
    assert cookie["httponly"]
