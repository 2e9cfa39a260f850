"""The process's publisher: a request answers once its row is stored, before the dashboards are
told; changes committed while a batch goes out go out together, in order, none lost."""

import threading
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client

from handoff.models import Handoff
from handoff.queue import notify, render
from handoff.realtime import broadcast
from tests.support.factories import handoff_body, post_signed


class Blocked:
    """Stands in for the send: records each batch, and holds the first until released."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.first_started = threading.Event()
        self.release = threading.Event()

    def __call__(self, changes: list[notify.CaseChange]) -> None:
        self.batches.append([c.handoff_id for c in changes])
        if len(self.batches) == 1:
            self.first_started.set()
            assert self.release.wait(10)


@pytest.fixture
def blocked(monkeypatch: pytest.MonkeyPatch) -> Any:
    sends = Blocked()
    monkeypatch.setattr(notify, "_send_changes", sends)
    monkeypatch.setattr(notify, "in_background", lambda: True)
    yield sends
    sends.release.set()
    assert notify._publisher.flush()


def test_changes_committed_during_a_send_go_out_together_in_order(blocked: Blocked) -> None:
    notify.publish([notify.CaseChange("a")])
    assert blocked.first_started.wait(10)
    for name in ("b", "c", "d"):
        notify.publish([notify.CaseChange(name)])
    blocked.release.set()
    assert notify._publisher.flush()
    assert blocked.batches == [["a"], ["b", "c", "d"]]


@pytest.mark.django_db
def test_the_202_does_not_wait_for_the_dashboards(
    blocked: Blocked, platform_factory: Any, django_capture_on_commit_callbacks: Any
) -> None:
    p = platform_factory()
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        first = post_signed(client, p.url(), secret=p.inbound_secret, body=handoff_body())
    assert blocked.first_started.wait(10)
    # The publisher is stuck sending the first case; the next intake is answered anyway, and
    # its case is stored when the answer comes.
    with django_capture_on_commit_callbacks(execute=True):
        second = post_signed(
            client, p.url(), secret=p.inbound_secret, body=handoff_body(external_id="conv-2")
        )
    assert (first.status_code, second.status_code) == (202, 202)
    assert Handoff.objects.filter(pk=second.json()["id"]).exists()
    assert blocked.batches == [[first.json()["id"]]]
    blocked.release.set()
    assert notify._publisher.flush()
    assert blocked.batches == [[first.json()["id"]], [second.json()["id"]]]


def test_a_batch_that_fails_does_not_stop_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    """One batch meeting an error (the database gone mid-send) is logged and dropped; the
    thread lives on and sends what is committed after it."""
    sent: list[list[str]] = []

    def send(changes: list[notify.CaseChange]) -> None:
        if changes[0].handoff_id == "poison":
            raise RuntimeError("the database went away")
        sent.append([c.handoff_id for c in changes])

    monkeypatch.setattr(notify, "_send_changes", send)
    monkeypatch.setattr(notify, "in_background", lambda: True)
    notify.publish([notify.CaseChange("poison")])
    assert notify._publisher.flush()
    notify.publish([notify.CaseChange("next")])
    assert notify._publisher.flush()
    assert sent == [["next"]]


@pytest.mark.django_db
def test_an_update_that_cannot_be_made_still_moves_the_sequence(
    platform_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database gone between the commit and the send: nothing is sent, but the sequence
    moves, so every dashboard's next heartbeat finds a gap and asks for a snapshot instead of
    showing the queue as it was until the next change."""
    p = platform_factory()
    case_id = post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body()).json()[
        "id"
    ]
    sent: list[Any] = []
    monkeypatch.setattr(broadcast, "send_many", sent.append)

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(render, "counts_context", unreachable)
    before = broadcast.current_seq()
    notify._send_changes([notify.CaseChange(case_id)])
    assert sent == []
    assert broadcast.current_seq() == before + 1
