"""A relayed message's status on the open case page follows its callback, in Chromium: it says
"sending…" until the platform accepts it, then "sent", without the page being reloaded."""

import pytest
from django.db import connection

from handoff.callbacks.sender import callback_attempt
from handoff.models import Callback, CallbackEvent
from tests.e2e.test_browser_queue import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    chromium_path,
    csp_violations,
    in_this_process,
    post_handoff,
    sign_in,
)
from tests.support.receiver import Receiver
from tests.support.servers import daphne
from tests.support.staff import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STATUS = "[data-testid=relay-status]"


def test_relay_status_turns_to_sent_without_a_reload(platform_factory) -> None:
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    p = platform_factory()
    make_staff("casey", display_name="Casey")
    database = connection.settings_dict["NAME"]

    with Receiver(p.outbound_secret) as receiver:
        p.platform.callback_url = receiver.url
        p.platform.save(update_fields=["callback_url"])
        with daphne(database_name=database) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            violations = csp_violations(page)
            sign_in(page, base, "casey")
            case_id = post_handoff(base, p.slug, p.inbound_secret, "high")
            page.wait_for_selector(f"#case-{case_id}")
            page.click(f"#case-{case_id} button.claim")
            page.wait_for_url(f"{base}/cases/{case_id}/")

            page.fill("#relay textarea[name=text]", "I'm here with you. Are you safe right now?")
            page.click("#relay button[type=submit]")
            page.wait_for_url(f"{base}/cases/{case_id}/#relay")
            page.wait_for_selector("body[data-case-socket=open]")
            assert page.inner_text(STATUS) == "sending…"
            page.locator("#messages").screenshot(path=str(ARTIFACTS / "relay-sending.png"))
            # Marks this very document: a reload would drop it.
            page.evaluate("document.body.dataset.sameDocument = 'yes'")

            # No worker runs beside this daphne: the test makes the attempt, as a worker would.
            callback_id = in_this_process(
                lambda: str(
                    Callback.objects.get(handoff_id=case_id, event=CallbackEvent.MESSAGE).pk
                )
            )
            outcome = in_this_process(lambda: callback_attempt(callback_id)).outcome
            assert outcome == "delivered"
            assert [d.body["type"] for d in receiver.deliveries if "text" in d.body["data"]] == [
                "handoff.message"
            ]

            page.wait_for_selector(f"{STATUS}[data-status=delivered]")
            assert page.inner_text(STATUS) == "sent"
            assert page.get_attribute("body", "data-same-document") == "yes"
            page.locator("#messages").screenshot(path=str(ARTIFACTS / "relay-sent.png"))
            assert violations == []
            browser.close()
