"""Who is online: supervisors first, and a busy floor is named up to a point, then counted."""

from datetime import timedelta

import pytest
from django.utils import timezone

from counselors.models import PresenceConnection, Role, User
from counselors.presence import presence_expire, presence_leave, presence_touch
from handoff.queue import render

pytestmark = pytest.mark.django_db


def _online(username: str, role: Role = Role.COUNSELOR, sockets: int = 1) -> User:
    user = User.objects.create(username=username, display_name=username.title(), role=role)
    for i in range(sockets):
        assert presence_touch(user=user, channel_name=f"{username}.{i}") == (i == 0)
    return user


def test_a_busy_floor_names_forty_supervisors_first_then_counts_the_rest() -> None:
    for i in range(44):
        _online(f"counselor{i:02d}", sockets=2)  # two dashboards each: still one person
    _online("zoe", Role.SUPERVISOR)
    html = render.presence()["html"]
    assert html.count("<li") == render.PRESENCE_NAMED
    assert html.index("Zoe") < html.index("Counselor00")
    assert "and 5 more online" in html


def test_a_small_floor_is_named_in_full() -> None:
    _online("amal")
    _online("bo", Role.SUPERVISOR)
    html = render.presence()["html"]
    assert html.count("<li") == 2 and "more online" not in html
    assert html.index("Bo") < html.index("Amal")


def test_leaving_and_expiring() -> None:
    amal = _online("amal", sockets=2)
    assert presence_leave(channel_name="amal.0") is False  # another dashboard still open
    assert presence_leave(channel_name="amal.1") is True
    assert "Amal" not in render.presence()["html"]
    presence_touch(user=amal, channel_name="amal.2")
    PresenceConnection.objects.update(last_seen=timezone.now() - timedelta(hours=1))
    assert presence_expire() == 1
    assert "Nobody else is online." in render.presence()["html"]
