"""Dashboard fragments, rendered from one template (templates/queue/dashboard.html's partials).

The page, the snapshot a socket gets on connect, and the updates pushed after a change all use
these functions, so what a reconnecting browser sees is exactly what a fresh page shows.
"""

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from counselors.models import User
from counselors.presence import online_staff
from handoff.models import Handoff, Status
from handoff.queue import selectors

TEMPLATE = "queue/dashboard.html"


def row_context(handoff: Handoff) -> dict[str, Any]:
    return {"case": handoff, "targets": settings.QUEUE_TARGET_SECONDS}


def row_html(handoff: Handoff) -> str:
    return render_to_string(f"{TEMPLATE}#row", row_context(handoff))


def counts_context() -> dict[str, Any]:
    counts = selectors.tier_counts()
    return {"tier_counts": counts, "waiting": sum(c.waiting for c in counts)}


def counts_html(context: dict[str, Any]) -> str:
    return render_to_string(f"{TEMPLATE}#counts", context)


def queue_context() -> dict[str, Any]:
    context = counts_context()
    context["rows"] = selectors.queue_for()
    context["limit"] = settings.QUEUE_DISPLAY_LIMIT
    context["more"] = max(0, context["waiting"] - len(context["rows"]))
    context["targets"] = settings.QUEUE_TARGET_SECONDS
    return context


def _now_iso() -> str:
    return timezone.now().isoformat()


def queue_update(
    *, handoff: Handoff, seq: int, counts: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One case changed: its row (or its removal) and the fresh counts (read here unless a
    batch of updates passes the counts it read once)."""
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
        "counts_html": counts_html(counts),
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
        "rows_html": render_to_string(f"{TEMPLATE}#rows", context),
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


def breach_alert(*, handoff: Handoff) -> dict[str, Any]:
    """For supervisors: ids and tiers only, nothing personal."""
    waited = int((timezone.now() - handoff.queued_at).total_seconds())
    tier = handoff.get_tier_display().lower()
    return {
        "type": "queue.alert",
        "id": str(handoff.id),
        "text": f"Target missed: a case now {tier} has waited {waited} s.",
    }
