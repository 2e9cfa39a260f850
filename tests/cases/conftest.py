import pytest
from django.test import Client

from counselors.models import Role
from handoff.models import EmergencyCenter, EmergencyCenterPostalCode, Handoff, MobileCrisisTeam
from handoff.summary.services import summary_build
from tests.support.factories import handoff_body, post_signed
from tests.support.staff import make_staff, signed_in


class CaseWorld:
    """A platform, a claimed case with its summary, its counselor and a supervisor."""

    def __init__(self, platform_factory, **body) -> None:
        self.platform = platform_factory()
        response = post_signed(
            Client(),
            self.platform.url(),
            secret=self.platform.inbound_secret,
            body=handoff_body(**body),
        )
        assert response.status_code == 202, response.content
        self.case_id = response.json()["id"]
        handoff = Handoff.objects.get(pk=self.case_id)
        summary_build(handoff_id=self.case_id, transcript_version=handoff.transcript_version)
        self.counselor = make_staff("casey", display_name="Casey")
        self.supervisor = make_staff("morgan", role=Role.SUPERVISOR, display_name="Morgan")
        self.client = signed_in(self.counselor)
        assert self.client.post(f"/cases/{self.case_id}/claim").status_code == 302

    @property
    def url(self) -> str:
        return f"/cases/{self.case_id}/"

    def handoff(self) -> Handoff:
        return Handoff.objects.get(pk=self.case_id)


@pytest.fixture
def world(db, platform_factory) -> CaseWorld:
    return CaseWorld(platform_factory)


@pytest.fixture
def directory(db) -> dict:
    franklin = EmergencyCenter.objects.create(
        psap_id="9001",
        name="Franklin County Emergency Communications",
        state="OH",
        county="Franklin",
        city="Columbus",
        emergency_line="6145550100",
    )
    EmergencyCenterPostalCode.objects.create(center=franklin, postal_code="43215")
    delaware = EmergencyCenter.objects.create(
        psap_id="9002",
        name="Delaware County 911",
        state="OH",
        county="Delaware",
        emergency_line="7405550101",
    )
    team = MobileCrisisTeam.objects.create(
        name="Columbus Mobile Crisis",
        state="OH",
        counties=["Franklin"],
        phone="6145550199",
        hours="24/7",
    )
    return {"franklin": franklin, "delaware": delaware, "team": team}
