"""The emergency-call path in Chromium: from the case page to a recorded, confirmed call."""

import json
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from django.db import connection
from standardwebhooks import Webhook

from counselors.models import Role
from handoff.models import EmergencyCenter, EmergencyCenterPostalCode
from tests.e2e.test_browser_queue import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    chromium_path,
    csp_violations,
    post_handoff,
    sign_in,
)
from tests.support.servers import daphne
from tests.support.staff import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def post_message(base: str, slug: str, secret: str, case_id: str, text: str) -> None:
    body = json.dumps(
        {"messages": [{"role": "user", "text": text, "at": datetime.now(tz=UTC).isoformat()}]}
    ).encode()
    msg_id = f"msg_{uuid.uuid4().hex}"
    now = datetime.now(tz=UTC)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, now, body.decode()),
        "content-type": "application/json",
    }
    url = f"{base}/api/v1/platforms/{slug}/handoffs/{case_id}/messages"
    assert httpx.post(url, content=body, headers=headers, timeout=10).status_code == 202


def test_counselor_records_an_emergency_call_and_its_outcome(platform_factory) -> None:
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    p = platform_factory()
    make_staff("casey", display_name="Casey")
    make_staff("morgan", role=Role.SUPERVISOR, display_name="Morgan")
    center = EmergencyCenter.objects.create(
        psap_id="9001",
        name="Franklin County Emergency Communications",
        state="OH",
        county="Franklin",
        emergency_line="6145550100",
    )
    EmergencyCenterPostalCode.objects.create(center=center, postal_code="43215")
    database = connection.settings_dict["NAME"]

    with daphne(database_name=database) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        violations = csp_violations(page)
        sign_in(page, base, "casey")
        case_id = post_handoff(base, p.slug, p.inbound_secret, "imminent")
        page.wait_for_selector(f"#case-{case_id}")
        page.click(f"#case-{case_id} button.claim")
        page.wait_for_url(f"{base}/cases/{case_id}/")

        # The person writes while the counselor has the case open: it appears without reload.
        post_message(base, p.slug, p.inbound_secret, case_id, "I can hear sirens outside")
        page.wait_for_selector("text=I can hear sirens outside")

        page.wait_for_selector("body[data-workspace=ready]")
        page.keyboard.press("e")  # the emergency path opens
        page.click("[data-testid=emergency-link]")
        page.wait_for_url(f"{base}/cases/{case_id}/emergency")
        assert "Franklin County Emergency Communications" in page.inner_text("[data-testid=center]")
        assert page.inner_text("[data-testid=center-line]") == "614-555-0100"
        script = page.inner_text("[data-testid=script]")
        assert script.index("Location") < script.index("Callback number")
        assert "123 Main St" in script
        page.screenshot(path=str(ARTIFACTS / "emergency-call-screen.png"), full_page=True)

        # Submitting without what the record needs is refused, field by field.
        page.click("button:has-text('Record the call')")
        page.wait_for_selector(".errorlist")
        page.screenshot(path=str(ARTIFACTS / "emergency-call-refused.png"), full_page=True)

        now = datetime.now().astimezone().strftime("%Y-%m-%dT%H:%M")
        page.fill("#id_dialed_at", now)
        page.fill("#id_answered_at", now)
        page.fill("#id_call_taker", "Dispatcher 12")
        page.fill("#id_incident_number", "F-2026-001")
        page.fill("#id_relayed", "Address, callback number, pills taken")
        page.check("input[name=person_consented][value=no]")
        page.select_option("#id_no_consent_reason", "attempt_in_progress")
        page.select_option("#supervisor_consulted", label="Morgan")
        page.click("button:has-text('Record the call')")
        page.wait_for_url(f"{base}/cases/{case_id}/#emergency")
        assert "Awaiting confirmation" in page.inner_text("[data-testid=case-status]")
        page.screenshot(path=str(ARTIFACTS / "emergency-awaiting-confirmation.png"), full_page=True)

        page.check("input[name=contact_confirmed][value=yes]")
        page.fill("#id_note", "Officers and EMS with the person")
        page.click("button:has-text('Record and close')")
        page.wait_for_selector("[data-testid=outcome]")
        assert "Emergency call (911)" in page.inner_text("[data-testid=outcome]")
        page.screenshot(path=str(ARTIFACTS / "emergency-closed.png"), full_page=True)
        assert violations == []
        browser.close()
