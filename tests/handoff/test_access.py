"""The consent gate: handoff.access.personal_view decides what of the person a staff member sees,
and the case page, the read-aloud script and the export all show what it decided."""

import html
import re

import pytest

from handoff import access
from handoff.access import LOCATION_NOT_SHARED, PROFILE_NOT_SHARED, personal_view
from handoff.models import Consent, EventKind, HandoffEvent
from tests.cases.conftest import CaseWorld
from tests.support.factories import handoff_body
from tests.support.staff import make_staff

pytestmark = pytest.mark.django_db

ADDRESS = "123 Main St unit 4B, Columbus, Franklin County, OH 43215"
PHONE_FORMS = ("+16145550142", "6145550142", "(614) 555-0142", "614-555-0142")


def _text(fragment: str) -> str:
    """What a reader sees of an HTML fragment: tags dropped, entities read."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def _page_address(page: str) -> str:
    location = page.split('data-testid="location">')[1].split("</dd>")[0]
    return _text(location.split("<br>")[0].split("<button")[0])  # without its Copy button


def _script_line(screen: str, label: str) -> str:
    script = screen[screen.index('data-testid="script"') :].split("</ol>")[0]
    return _text(script[script.index(f"{label}:") :].split("</li>")[0])


def _export_line(export: str, label: str) -> str:
    return next(line for line in export.splitlines() if line.startswith(f"{label}: "))


@pytest.fixture
def world(platform_factory) -> CaseWorld:
    return CaseWorld(platform_factory)


def _gated(platform_factory) -> CaseWorld:
    """Contact and location stored, consent to show them not given: intake refuses such a body
    today, so the consent is taken back in the database, where only the gate stands between
    the stored values and the screen."""
    world = CaseWorld(platform_factory)
    Consent.objects.filter(handoff_id=world.case_id).update(
        share_profile=False, share_location=False
    )
    assert world.handoff().contact and world.handoff().location
    return world


def test_without_consent_nothing_is_shown_and_the_reason_is_given(platform_factory) -> None:
    world = _gated(platform_factory)
    view = personal_view(world.counselor, world.handoff())
    assert view.contact is None and view.location is None
    assert view.phone == view.spoken_phone == "" and view.address == ()
    assert view.contact_missing == PROFILE_NOT_SHARED
    assert view.location_missing == LOCATION_NOT_SHARED

    page = world.client.get(world.url).content.decode()
    screen = world.client.get(f"{world.url}emergency").content.decode()
    export = world.client.get(f"{world.url}export").content.decode()
    for shown in (page, screen, export):
        assert not any(phone in shown for phone in PHONE_FORMS)
        assert "123 Main St" not in shown and "Sam" not in shown
    # The same reasons, in the same words, wherever something is held back.
    assert PROFILE_NOT_SHARED in _text(page) and LOCATION_NOT_SHARED in _text(page)
    assert PROFILE_NOT_SHARED in _script_line(screen, "Callback number")
    assert LOCATION_NOT_SHARED in _script_line(screen, "Location")
    assert _export_line(export, "Phone") == f"Phone: {PROFILE_NOT_SHARED}"
    assert _export_line(export, "Location") == f"Location: {LOCATION_NOT_SHARED}"


def test_with_consent_the_same_address_line_everywhere(world: CaseWorld) -> None:
    view = personal_view(world.counselor, world.handoff())
    assert "".join(part.text for part in view.address) == ADDRESS
    assert [p.text for p in view.address if p.value] == [
        *("123 Main St", "4B", "Columbus", "Franklin", "OH", "43215")
    ]
    assert view.phone == "+16145550142" and view.spoken_phone == "(614) 555-0142"

    page = world.client.get(world.url).content.decode()
    screen = world.client.get(f"{world.url}emergency").content.decode()
    export = world.client.get(f"{world.url}export").content.decode()
    assert _page_address(page) == ADDRESS
    assert _script_line(screen, "Location") == f"Location: {ADDRESS}; source: device"
    assert _export_line(export, "Location") == f"Location: {ADDRESS}"
    assert 'href="tel:+16145550142"' in page
    assert "(614) 555-0142" in _script_line(screen, "Callback number")
    assert _export_line(export, "Phone") == "Phone: +16145550142"


def test_coordinates_read_the_same_on_the_page_and_in_the_export(
    platform_factory,
) -> None:
    body = handoff_body()
    body["location"] = {**body["location"], "geo": {"lat": 39.9612, "lon": -82.9988}}
    world = CaseWorld(platform_factory, **body)
    gps = "GPS 39.96120, -82.99880"
    assert personal_view(world.counselor, world.handoff()).gps == gps
    page = world.client.get(world.url).content.decode()
    export = world.client.get(f"{world.url}export").content.decode()
    assert gps in page and _export_line(export, "Location") == f"Location: {ADDRESS}; {gps}"


def test_someone_who_may_not_read_the_case_is_shown_nothing(world: CaseWorld) -> None:
    view = personal_view(make_staff("jordan"), world.handoff())
    assert view.contact is None and view.location is None and view.consent is None
    assert view.contact_missing == view.location_missing == access.NOT_YOURS


def test_a_page_view_records_one_personal_view_and_nothing_else_does(world: CaseWorld) -> None:
    def personal_views() -> int:
        return HandoffEvent.objects.filter(
            handoff_id=world.case_id, kind=EventKind.VIEWED_PERSONAL
        ).count()

    assert personal_views() == 0
    assert world.client.get(world.url).status_code == 200
    assert personal_views() == 1
    # A refused post shows the page again: not another view of the person's data...
    assert world.client.post(f"{world.url}close", {"outcome": "deescalated"}).status_code == 400
    assert world.client.post(f"{world.url}notes", {}).status_code == 400
    assert personal_views() == 1
    # ...and an export is its own event.
    assert world.client.get(f"{world.url}export").status_code == 200
    assert personal_views() == 1
    assert (
        HandoffEvent.objects.filter(handoff_id=world.case_id, kind=EventKind.EXPORTED).count() == 1
    )
