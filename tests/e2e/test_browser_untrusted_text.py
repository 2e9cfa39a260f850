"""What the counselor reads is what was sent (issue 11, items 2 and 3), checked where it is
drawn: in Chromium, by where each character lands on the screen, not by the order in the DOM
(which a direction override leaves untouched while it reverses what is seen)."""

import itertools
from typing import Any

import pytest
from django.db import connection

from handoff.models import Handoff
from tests.cases.conftest import CaseWorld
from tests.e2e.test_browser_queue import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    chromium_path,
    csp_violations,
    sign_in,
)
from tests.support.factories import handoff_body
from tests.support.servers import daphne

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RLO = "\u202e"
LONG_WORD = "A" * 10_000

# Where each character of `needle` lands on the screen ([top, bottom, left]; spaces left out),
# found in the text under `root` as drawn (text nodes in order, hidden-character tokens included).
SCREEN_PLACES = """([root, needle]) => {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const chars = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.data.length; i++) chars.push([node, i]);
  }
  const text = chars.map(([node, i]) => node.data[i]).join("");
  const at = text.indexOf(needle);
  if (at < 0) return null;
  const shown = chars.slice(at, at + needle.length).filter(([node, i]) => node.data[i].trim());
  return shown.map(([node, i]) => {
    const range = document.createRange();
    range.setStart(node, i);
    range.setEnd(node, i + 1);
    const box = range.getBoundingClientRect();
    return [box.top, box.bottom, box.left];
  });
}"""


def reads_left_to_right(page: Any, root: Any, needle: str) -> bool:
    """Each character right of the one before it, or on a line below (where the text wraps)."""
    places = page.evaluate(SCREEN_PLACES, [root.element_handle(), needle])
    assert places is not None, f"{needle!r} is not in the text as drawn"
    return all(
        b_left > a_left if b_top < a_bottom and a_top < b_bottom else b_top >= a_bottom - 1
        for (a_top, a_bottom, a_left), (b_top, b_bottom, b_left) in itertools.pairwise(places)
    )


def test_direction_controls_and_a_long_word_change_nothing_around_them(platform_factory) -> None:
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    first = handoff_body()["transcript"][0]
    # Through the signed intake: the messages, as a person or a careless platform sends them.
    world = CaseWorld(
        platform_factory,
        transcript=[
            {**first, "text": f"I want to end my life tonight, I have {RLO}30 pills here"},
            {**first, "text": f"call me {RLO}now 0142-555-614"},
            {**first, "text": f"my words: {LONG_WORD} end"},
        ],
    )
    # Straight into the database, as a row stored before intake refused it.
    handoff = Handoff.objects.get(pk=world.case_id)
    civic = {**handoff.location["civic"], "street": f"{RLO}123 Main St"}
    handoff.location = {**handoff.location, "civic": civic}
    handoff.save(update_fields=["location"])
    database = connection.settings_dict["NAME"]

    with daphne(database_name=database) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
        violations = csp_violations(page)
        sign_in(page, base, "casey")
        page.goto(f"{base}{world.url}")

        # (a) The phone number reads as sent, with the override shown where it was.
        message = page.locator("#messages li", has_text="0142-555-614").locator("p")
        assert message.inner_text() == "call me ⟨RLO⟩now 0142-555-614"
        assert reads_left_to_right(page, message, "call me ⟨RLO⟩now 0142-555-614")
        marker = message.locator("abbr.hidden-char")
        assert marker.is_visible()
        assert marker.get_attribute("title") == "Hidden character U+202E: right-to-left override"
        # The street, the evidence quotes and the headline show it too; nothing is reversed.
        location = page.locator("[data-testid=location]")
        assert location.inner_text().startswith("⟨RLO⟩123 Main St unit 4B, Columbus")
        assert reads_left_to_right(page, location, "Columbus, Franklin County, OH 43215")
        summary = page.locator("#summary")
        assert summary.locator("abbr.hidden-char").count() >= 2
        assert reads_left_to_right(page, summary, "⟨RLO⟩30 pills")
        page.screenshot(path=str(ARTIFACTS / "untrusted-direction-controls-case.png"))

        # (c) The 10,000-character word wraps inside the conversation: the page is no wider
        # than the window, the person's details stay to its left and the summary to its right,
        # uncovered.
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], width
        long_message = page.locator("#messages li", has_text="my words:")
        long_message.scroll_into_view_if_needed()  # the conversation scrolls in a box of its own
        long_box = long_message.bounding_box()
        panel_box = page.locator("#summary").bounding_box()
        person_box = location.bounding_box()
        assert long_box and panel_box and person_box
        assert person_box["x"] + person_box["width"] <= long_box["x"]
        assert long_box["x"] + long_box["width"] <= panel_box["x"]
        assert panel_box["x"] + panel_box["width"] <= width[1]
        page.screenshot(path=str(ARTIFACTS / "untrusted-long-word-case.png"))

        # (b) The read-aloud script: each value its own isolate, so the override in the street
        # ends with the street and the postal code reads 43215.
        page.goto(f"{base}{world.url}emergency")
        script = page.locator("[data-testid=script]")
        line = script.locator("li", has_text="Location:")
        assert line.locator("bdi.untrusted").all_inner_texts() == [
            "⟨RLO⟩123 Main St",
            "4B",
            "Columbus",
            "Franklin",
            "OH",
            "43215",
            "device",
        ]
        assert "43215" in script.inner_text()
        assert reads_left_to_right(page, line, "Columbus, Franklin County, OH 43215; source")
        callback = script.locator("li", has_text="Callback number:")
        assert reads_left_to_right(page, callback, "(614) 555-0142")
        script.screenshot(path=str(ARTIFACTS / "untrusted-emergency-script.png"))
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], width
        assert violations == []
        browser.close()
