"""What the navigation counts on every full page: reviews waiting (supervisors) and follow-ups
due. Lazy, so a fragment or page that does not show the navigation asks nothing."""

from functools import cached_property
from typing import Any

from django.http import HttpRequest

from handoff.access import is_staff_member, is_supervisor
from handoff.followups.selectors import follow_ups_due_count
from handoff.reviews.selectors import unreviewed_count


class NavCounts:
    def __init__(self, request: HttpRequest) -> None:
        self.user = request.user

    @cached_property
    def is_supervisor(self) -> bool:
        return is_supervisor(self.user)

    @cached_property
    def reviews(self) -> int:
        return unreviewed_count() if self.is_supervisor else 0

    @cached_property
    def follow_ups(self) -> int:
        return follow_ups_due_count(self.user) if is_staff_member(self.user) else 0  # type: ignore[arg-type]


def nav_counts(request: HttpRequest) -> dict[str, Any]:
    return {"nav": NavCounts(request)}
