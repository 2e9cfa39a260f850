"""Pages that show a person's details are never kept by the browser's or a proxy's cache: a
shared workstation's back button or disk cache must not hand them to the next person."""

import pytest

from tests.support.staff import make_staff, signed_in

pytestmark = pytest.mark.django_db


def assert_not_stored(response) -> None:
    cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert {"no-store", "private"} <= cache_control, response.get("Cache-Control")


def test_every_page_with_personal_data_says_no_store(world) -> None:
    pages = {
        "dashboard": "/",
        "case": world.url,
        "live transcript": f"{world.url}live",
        "emergency screen": f"{world.url}emergency",
        "export": f"{world.url}export",
    }
    for name, url in pages.items():
        response = world.client.get(url)
        assert response.status_code == 200, name
        assert_not_stored(response)

    # A form sent back with errors shows the case again.
    refused = world.client.post(f"{world.url}emergency", {})
    assert refused.status_code in {400, 422}, refused.status_code
    assert b"123 Main St" in refused.content
    assert_not_stored(refused)


def test_a_refusal_naming_the_holder_is_not_stored_either(world) -> None:
    other = signed_in(make_staff("jordan"))
    response = other.get(world.url)
    assert response.status_code == 403
    assert b"Casey" in response.content
    assert_not_stored(response)
