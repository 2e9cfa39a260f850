"""On the phone, texting, waiting for a reply: set from the case page by the counselor holding
the case, an event each time, shown on the floor and in the counselor's own list, and gone
when the case changes hands."""

import pytest

from handoff.models import ContactStatus, EventKind, HandoffEvent
from handoff.queue import render
from handoff.queue.floor import floor_cases
from tests.support.staff import make_staff, signed_in

pytestmark = pytest.mark.django_db


def _status_events(world) -> list[dict]:
    return list(
        HandoffEvent.objects.filter(
            handoff_id=world.case_id, kind=EventKind.CONTACT_STATUS
        ).values_list("data", flat=True)
    )


def test_the_holder_sets_it_in_one_post_and_it_is_an_event(world) -> None:
    page = world.client.get(world.url).content.decode()
    assert 'name="status" value="on_phone"' in page and '<kbd aria-hidden="true">p</kbd>' in page

    answer = world.client.post(f"{world.url}contact-status", {"status": "on_phone"})
    assert answer.status_code == 302 and answer["Location"].endswith("#status")
    case = world.handoff()
    assert case.contact_status == ContactStatus.ON_PHONE and case.contact_status_shown
    assert _status_events(world) == [{"status": "on_phone", "was": ""}]
    page = world.client.get(world.url).content.decode()
    assert 'data-testid="contact-status"' in page and "On the phone" in page

    # The same key again changes nothing and records nothing; another status is one event more.
    world.client.post(f"{world.url}contact-status", {"status": "on_phone"})
    world.client.post(f"{world.url}contact-status", {"status": "waiting"})
    assert _status_events(world) == [
        {"status": "on_phone", "was": ""},
        {"status": "waiting", "was": "on_phone"},
    ]
    # Cleared, it is no longer shown.
    world.client.post(f"{world.url}contact-status", {"status": ""})
    assert not world.handoff().contact_status_shown


def test_shown_on_the_floor_and_in_the_holders_own_list(world) -> None:
    world.client.post(f"{world.url}contact-status", {"status": "texting"})
    rows, _ = floor_cases()
    (row,) = [r for r in rows if str(r.case.id) == world.case_id]
    assert row.case.contact_status_shown and row.case.get_contact_status_display() == "Texting"
    assert "Texting" in signed_in(world.supervisor).get("/floor/").content.decode()
    mine = render.mine(user=world.counselor)["html"]
    assert 'data-testid="mine-contact-status"' in mine and "texting" in mine


def test_hostile_or_foreign_posts_change_nothing_and_say_why(world) -> None:
    for bad in ("on_the_moon", "x" * 5000, "texting\x00"):
        answer = world.client.post(f"{world.url}contact-status", {"status": bad})
        assert answer.status_code == 400
        assert "Choose on the phone, texting or waiting for a reply." in answer.content.decode()
    # A supervisor may act on the case, but only its holder says what they are doing.
    answer = signed_in(world.supervisor).post(f"{world.url}contact-status", {"status": "texting"})
    assert answer.status_code == 400
    assert "Only the counselor working this case" in answer.content.decode()
    # Another counselor is refused outright.
    other = signed_in(make_staff("jordan"))
    assert other.post(f"{world.url}contact-status", {"status": "texting"}).status_code == 403
    assert world.handoff().contact_status == "" and _status_events(world) == []


def test_a_status_does_not_follow_the_case_to_its_next_holder(world) -> None:
    world.client.post(f"{world.url}contact-status", {"status": "on_phone"})
    assert world.client.post(f"{world.url}release", {"reason": ""}).status_code in (200, 302)
    jordan = signed_in(make_staff("jordan", display_name="Jordan"))
    assert jordan.post(f"{world.url}claim").status_code == 302
    case = world.handoff()
    assert case.contact_status == ContactStatus.ON_PHONE  # kept as recorded...
    assert not case.contact_status_shown  # ...but not Jordan's: not shown
    assert 'data-testid="contact-status"' not in jordan.get(world.url).content.decode()
