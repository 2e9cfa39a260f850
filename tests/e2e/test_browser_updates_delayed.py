"""The dashboard's connection badge tells the truth about pushes: with Redis down the socket stays
open and silent, so the badge must stop saying "Live" until the console is back in touch."""

import contextlib

import pytest

from tests.e2e.test_browser_queue import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    casey_alone,
    post_in_this_process,
    sign_in,
)
from tests.support.servers import daphne, free_port, redis_server

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Every state the badge takes from now on, in order.
RECORD_BADGE = """() => {
  const badge = document.getElementById("connection");
  window.__badge = [];
  new MutationObserver(() => window.__badge.push(badge.dataset.state))
    .observe(badge, { attributes: true, attributeFilter: ["data-state"] });
}"""


# The same, from the page's first script on (for a page opened later).
RECORD_BADGE_ON_LOAD = "document.addEventListener('DOMContentLoaded', " + RECORD_BADGE + ");"


def test_the_badge_says_updates_are_delayed_while_redis_is_down(platform_factory) -> None:
    from playwright.sync_api import sync_playwright

    chromium, p, database = casey_alone(platform_factory)
    port = free_port()

    with contextlib.ExitStack() as redis, sync_playwright() as pw:
        url = redis.enter_context(redis_server(port))
        with daphne(database_name=database, redis_url=url) as base:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            casey = context.new_page()
            sign_in(casey, base, "casey")
            assert casey.inner_text("#connection") == "Live"
            casey.evaluate(RECORD_BADGE)

            # Redis stops (it keeps nothing on disk). The socket stays open; pushes are lost.
            redis.close()
            casey.wait_for_selector("#connection[data-state=delayed]", timeout=15_000)
            badge = casey.inner_text("#connection")
            assert badge.startswith("Updates delayed")
            assert "may be out of date" in badge
            assert casey.is_visible("text=No one was waiting when the connection was lost")
            casey.screenshot(path=str(ARTIFACTS / "queue-updates-delayed.png"), full_page=True)
            # A dashboard opened now cannot subscribe at all: it says the same, not "Live".
            later = context.new_page()
            later.add_init_script(RECORD_BADGE_ON_LOAD)
            later.goto(f"{base}/")
            later.wait_for_selector("#connection[data-state=delayed]", timeout=15_000)
            assert later.inner_text("#connection").startswith("Updates delayed")

            # A case arrives meanwhile; its push goes nowhere this console hears.
            case_id = post_in_this_process(p)
            assert "live" not in casey.evaluate("window.__badge.slice()")
            assert "live" not in later.evaluate("window.__badge.slice()")

            # Redis is back: the console resyncs the dashboard, which draws the case and says
            # "Live" again by itself.
            redis.enter_context(redis_server(port))
            casey.wait_for_selector(f"#case-{case_id}", timeout=30_000)
            casey.wait_for_selector("#connection[data-state=live]")
            assert casey.inner_text("#connection") == "Live"
            # The page opened during the outage reconnects by itself (with backoff) and draws
            # it too.
            later.wait_for_selector(f"#case-{case_id}", timeout=60_000)
            later.wait_for_selector("#connection[data-state=live]")
            browser.close()
