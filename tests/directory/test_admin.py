"""The directory admin screens load for an administrator and hold edits to the import's rules."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from counselors.models import Role
from counselors.services import staff_create
from handoff.models import EmergencyCenter, MobileCrisisTeam
from tests.support.staff import verified_login

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"


@pytest.fixture
def admin_client(client: Client) -> Client:
    call_command("import_emergency_centers", str(DATA / "centers.csv"), stdout=io.StringIO())
    call_command("import_mobile_crisis_teams", str(DATA / "teams.csv"), stdout=io.StringIO())
    admin = staff_create(username="dir-admin", password="a long test password", role=Role.ADMIN)
    return verified_login(client, admin)


def test_center_changelist_search_filter_and_change_page(admin_client: Client) -> None:
    url = "/admin/handoff/emergencycenter/"
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "(614) 555-0101" in page.content.decode()
    # Search by postal code finds the center that lists it, once.
    found = admin_client.get(url, {"q": "43201"}).content.decode()
    assert "Columbus Example Emergency Communications" in found
    assert "Delaware County Example 911" not in found
    assert admin_client.get(url, {"q": "9003"}).status_code == 200
    assert admin_client.get(url, {"state": "IN", "active__exact": "1"}).status_code == 200
    center = EmergencyCenter.objects.get(psap_id="9001")
    change = admin_client.get(f"{url}{center.pk}/change/")
    assert change.status_code == 200
    assert "43215" in change.content.decode()
    assert admin_client.get(f"{url}add/").status_code == 200


def test_team_changelist_and_change_page(admin_client: Client) -> None:
    url = "/admin/handoff/mobilecrisisteam/"
    page = admin_client.get(url, {"q": "Pickaway"})
    assert page.status_code == 200
    assert "Franklin Example Mobile Crisis" in page.content.decode()
    assert admin_client.get(url, {"state": "OH", "active__exact": "1"}).status_code == 200
    team = MobileCrisisTeam.objects.get(name="Franklin Example Mobile Crisis")
    change = admin_client.get(f"{url}{team.pk}/change/")
    assert change.status_code == 200
    assert "Franklin; Pickaway" in change.content.decode()


def test_team_edit_takes_text_lists_and_checks_the_phone(admin_client: Client) -> None:
    team = MobileCrisisTeam.objects.get(name="Franklin Example Mobile Crisis")
    url = f"/admin/handoff/mobilecrisisteam/{team.pk}/change/"
    form = {
        "name": team.name,
        "state": "oh",
        "counties": "Franklin; Madison",
        "postal_codes": "43215 43201",
        "phone": "(614) 555-0150",
        "hours": "24/7",
        "active": "on",
    }
    assert admin_client.post(url, form).status_code == 302
    team.refresh_from_db()
    assert team.counties == ["Franklin", "Madison"]
    assert team.postal_codes == ["43215", "43201"]
    assert team.phone == "6145550150"
    assert team.state == "OH"

    refused = admin_client.post(url, {**form, "phone": "(614) 055-0150"})
    assert refused.status_code == 200
    assert "exchange 055 cannot start with 0 or 1" in refused.content.decode()
    team.refresh_from_db()
    assert team.phone == "6145550150"


def test_center_edit_normalises_lines_and_checks_postal_codes(admin_client: Client) -> None:
    center = EmergencyCenter.objects.get(psap_id="9007")
    url = f"/admin/handoff/emergencycenter/{center.pk}/change/"
    form = {
        "psap_id": "9007",
        "name": center.name,
        "state": "OH",
        "county": "Hamilton",
        "city": "",
        "emergency_line": "513-555-0170",
        "admin_line": "",
        "active": "on",
        "postal_codes-TOTAL_FORMS": "1",
        "postal_codes-INITIAL_FORMS": "0",
        "postal_codes-MIN_NUM_FORMS": "0",
        "postal_codes-MAX_NUM_FORMS": "1000",
        "postal_codes-0-postal_code": "45202",
        "postal_codes-0-center": str(center.pk),
    }
    assert admin_client.post(url, form).status_code == 302
    center.refresh_from_db()
    assert center.emergency_line == "5135550170"
    assert list(center.postal_codes.values_list("postal_code", flat=True)) == ["45202"]

    bad = admin_client.post(
        url, {**form, "postal_codes-0-postal_code": "4520", "emergency_line": "911"}
    )
    assert bad.status_code == 200
    content = bad.content.decode()
    assert "is not a 5-digit ZIP code" in content
    assert "911 is not a 10-digit line" in content
