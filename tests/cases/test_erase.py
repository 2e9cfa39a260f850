"""A supervisor erases one ended case's personal data now, from its page, with a reason: the
reason is kept encrypted on the case and the event names who, never why. Counselors cannot;
an open case cannot be erased; a relayed message not yet sent is never sent."""

from typing import Any

import pytest

from handoff.callbacks.sender import AttemptOutcome, callback_attempt
from handoff.crypto import decrypt_text
from handoff.models import (
    Callback,
    CallbackEvent,
    CallbackStatus,
    EventKind,
    Handoff,
    HandoffEvent,
    Note,
    Platform,
    TranscriptMessage,
)
from tests.support.full_case import raw_database, raw_rows
from tests.support.staff import signed_in

pytestmark = pytest.mark.django_db

REASON = "The person asked us to delete it (request 4411 by e-mail)."


def _close(world: Any) -> None:
    response = world.client.post(
        f"{world.url}close", {"outcome": "not_at_risk", "reason": "Was testing the assistant."}
    )
    assert response.status_code == 302, response.content


def test_a_supervisor_erases_an_ended_case_now(world: Any) -> None:
    supervisor = signed_in(world.supervisor)
    world.client.post(f"{world.url}notes", {"text": "Lives with her sister on Elm Street."})
    # A relayed message the platform has not received yet: its callback is still pending.
    Platform.objects.filter(pk=world.handoff().platform_id).update(
        callback_url="http://127.0.0.1:9/never"
    )
    world.client.post(f"{world.url}relay", {"text": "Call me back on this number."})
    relay = Callback.objects.get(handoff_id=world.case_id, event=CallbackEvent.MESSAGE)
    assert relay.status == CallbackStatus.PENDING

    # An open case cannot be erased: it is still someone's work.
    refused = supervisor.post(f"{world.url}erase", {"reason": REASON})
    assert refused.status_code == 400
    assert "Only a closed or withdrawn case can be erased" in refused.content.decode()
    _close(world)

    # Only supervisors: the counselor who closed it gets the refusal page, nothing changes.
    assert world.client.post(f"{world.url}erase", {"reason": REASON}).status_code == 403
    assert world.client.get(world.url).content.decode().count('data-testid="erase"') == 0
    page = supervisor.get(world.url).content.decode()
    assert 'data-testid="erase"' in page and "pills" in page
    # A reason is required, and said beside the field.
    empty = supervisor.post(f"{world.url}erase", {"reason": "  "})
    assert empty.status_code == 400 and "This field is required" in empty.content.decode()
    assert world.handoff().purged_at is None

    done = supervisor.post(f"{world.url}erase", {"reason": REASON})
    assert done.status_code == 302 and done["Location"].endswith("#erased")

    handoff = world.handoff()
    assert handoff.purged_at is not None and handoff.purged_by == world.supervisor
    assert handoff.status == "closed" and handoff.outcome == "not_at_risk"
    assert handoff.contact is None and handoff.location is None and handoff.metadata == {}
    assert set(
        TranscriptMessage.objects.filter(handoff=handoff).values_list("text", flat=True)
    ) == {""}
    assert set(Note.objects.filter(handoff=handoff).values_list("text", flat=True)) == {""}
    assert handoff.disposition.details == {}
    # The reason is kept, encrypted; the event says who erased, never why.
    (stored,) = raw_rows(Handoff, [handoff.pk], "purge_reason")[0]
    assert stored.startswith("test$") and decrypt_text(stored) == REASON
    event = HandoffEvent.objects.get(handoff_id=world.case_id, kind=EventKind.ERASED)
    assert (event.actor, event.data) == (world.supervisor, {"by": "supervisor"})
    database = raw_database()
    for typed in ("request 4411", "Elm Street", "Call me back", "pills", "Was testing"):
        assert typed not in database, typed

    # The page says so, with the reason; nothing of the person is left to show.
    page = supervisor.get(world.url).content.decode()
    assert 'data-testid="erased"' in page
    assert "by Morgan (reason: " in page and REASON in page
    assert "pills" not in page and "Elm Street" not in page and "+16145550142" not in page
    assert (
        'data-testid="erase"' not in page
        and 'action="/cases/' + world.case_id + '/amend"' not in page
    )
    export = world.client.get(f"{world.url}export").content.decode()
    assert "Personal content erased:" in export and "pills" not in export

    # The relayed message will never go out: its words are gone.
    relay.refresh_from_db()
    assert relay.status == CallbackStatus.EXPIRED
    assert callback_attempt(str(relay.pk)).outcome == AttemptOutcome.SKIPPED

    # Once is enough; and nothing is added to an erased record.
    again = supervisor.post(f"{world.url}erase", {"reason": REASON})
    assert again.status_code == 400 and "already erased" in again.content.decode()
    amend = supervisor.post(f"{world.url}amend", {"reason": "Typo.", "text": "Her brother."})
    assert amend.status_code == 400 and "nothing is added to it" in amend.content.decode()
    assert HandoffEvent.objects.filter(kind=EventKind.ERASED).count() == 1


def test_a_pending_relay_of_an_erased_case_sends_nothing(world: Any) -> None:
    """Even when the sweeper reaches it first: the sender reads the words from the transcript
    line at each attempt, and finds none."""
    Platform.objects.filter(pk=world.handoff().platform_id).update(
        callback_url="http://127.0.0.1:9/never"
    )
    world.client.post(f"{world.url}relay", {"text": "Call me back on this number."})
    relay = Callback.objects.get(handoff_id=world.case_id, event=CallbackEvent.MESSAGE)
    TranscriptMessage.objects.filter(callback=relay).update(text="")
    assert callback_attempt(str(relay.pk)).outcome == AttemptOutcome.EXPIRED
    relay.refresh_from_db()
    assert relay.status == CallbackStatus.EXPIRED and not relay.attempt_log.exists()
