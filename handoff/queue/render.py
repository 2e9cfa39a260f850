"""Dashboard fragments, rendered from one template (templates/queue/dashboard.html's partials).

The page, the snapshot a socket gets on connect, and the updates pushed after a change all use
these functions, so what a reconnecting browser sees is exactly what a fresh page shows.
"""

import threading
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from counselors.models import User
from counselors.presence import online_staff
from handoff.models import Handoff, Status
from handoff.queue import selectors

TEMPLATE = "queue/dashboard.html"


def row_context(handoff: Handoff) -> dict[str, Any]:
    return {"case": handoff, "targets": settings.QUEUE_TARGET_SECONDS}


# Rendered rows by everything a row shows, so a page, a snapshot and an update render each row
# once rather than each time (fifty rows are most of a page's CPU). The key holds every value
# the row's HTML is made of, its wait written out included, so a hit is the same HTML a render
# would give; a row that changes in any way it shows is another key.
ROW_CACHE_SIZE = 2000
_row_cache: "OrderedDict[tuple[Any, ...], str]" = OrderedDict()
_row_cache_lock = threading.Lock()


def _row_key(handoff: Handoff) -> tuple[Any, ...]:
    return (
        *(getattr(handoff, name) for name in selectors.ROW_FIELDS),
        handoff.platform.name,
        timesince(handoff.queued_at),
    )


def row_html(handoff: Handoff) -> str:
    key = _row_key(handoff)
    with _row_cache_lock:
        html = _row_cache.get(key)
        if html is not None:
            _row_cache.move_to_end(key)
            return html
    html = render_to_string(f"{TEMPLATE}#row", row_context(handoff))
    with _row_cache_lock:
        _row_cache[key] = html
        while len(_row_cache) > ROW_CACHE_SIZE:
            _row_cache.popitem(last=False)
    return html


def rows_html(rows: list[Handoff]) -> str:
    return "".join(row_html(h) for h in rows)


def counts_context() -> dict[str, Any]:
    counts = selectors.tier_counts()
    return {"tier_counts": counts, "waiting": sum(c.waiting for c in counts)}


def counts_html(context: dict[str, Any]) -> str:
    return render_to_string(f"{TEMPLATE}#counts", context)


render_counts = counts_html  # for queue_update, whose keyword of that name hides the function


def queue_context() -> dict[str, Any]:
    context = counts_context()
    context["rows"] = selectors.queue_for()
    context["rows_html"] = mark_safe(rows_html(context["rows"]))  # noqa: S308 (rendered templates)
    context["limit"] = settings.QUEUE_DISPLAY_LIMIT
    context["more"] = max(0, context["waiting"] - len(context["rows"]))
    context["targets"] = settings.QUEUE_TARGET_SECONDS
    return context


def _now_iso() -> str:
    return timezone.now().isoformat()


def queue_update(
    *,
    handoff: Handoff,
    seq: int,
    counts: dict[str, Any] | None = None,
    counts_html: str | None = None,
) -> dict[str, Any]:
    """One case changed: its row (or its removal) and the fresh counts (read and rendered here
    unless a batch of updates passes what it read and rendered once)."""
    counts = counts_context() if counts is None else counts
    waiting = handoff.status == Status.QUEUED
    return {
        "type": "queue.update",
        "seq": seq,
        "op": "upsert" if waiting else "remove",
        "id": str(handoff.id),
        "version": handoff.version,
        "tier": handoff.tier,
        "html": row_html(handoff) if waiting else "",
        "counts_html": render_counts(counts) if counts_html is None else counts_html,
        "waiting": counts["waiting"],
        "limit": settings.QUEUE_DISPLAY_LIMIT,
        "server_now": _now_iso(),
    }


def queue_snapshot(*, seq: int) -> dict[str, Any]:
    """Everything the shared part of the dashboard shows, for a socket that just connected or
    found a gap. `seq` is read before rendering, so any later update has a higher one."""
    context = queue_context()
    return {
        "type": "queue.snapshot",
        "seq": seq,
        "rows_html": rows_html(context["rows"]),
        "counts_html": counts_html(context),
        "waiting": context["waiting"],
        "limit": context["limit"],
        "server_now": _now_iso(),
    }


def mine_context(user: User) -> dict[str, Any]:
    return {"my_cases": list(selectors.cases_of(counselor=user))}


def mine(*, user: User, notice: str = "") -> dict[str, Any]:
    return {
        "type": "queue.mine",
        "html": render_to_string(f"{TEMPLATE}#mine", mine_context(user)),
        "notice": notice,
    }


# Who is online, named up to this many (supervisors and counselors in order), then counted: a
# floor of 500 is a number, not a list to read, and every dashboard receives it.
PRESENCE_NAMED = 40


def presence_context() -> dict[str, Any]:
    online = list(online_staff()[:PRESENCE_NAMED])
    more = online_staff().count() - len(online) if len(online) == PRESENCE_NAMED else 0
    return {"online": online, "online_more": more}


def presence() -> dict[str, Any]:
    return {
        "type": "queue.presence",
        "html": render_to_string(f"{TEMPLATE}#presence", presence_context()),
    }


def alert(*, handoff_id: str, text: str) -> dict[str, Any]:
    """A line on a dashboard about one case: its id and what happened, nothing personal."""
    return {"type": "queue.alert", "id": handoff_id, "text": text}


def breach_alert(*, handoff: Handoff) -> dict[str, Any]:
    """For supervisors: ids and tiers only."""
    waited = int((timezone.now() - handoff.queued_at).total_seconds())
    tier = handoff.get_tier_display().lower()
    return alert(
        handoff_id=str(handoff.id),
        text=f"Target missed: a case now {tier} has waited {waited} s.",
    )
