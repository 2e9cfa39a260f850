"""Claim, release, transfer through the real views; the claim race on PostgreSQL."""

import threading

import pytest
from django.db import connection
from django.test import Client

from counselors.models import Role
from handoff.models import Callback, CallbackEvent, EventKind, Handoff, HandoffEvent, Status
from tests.support.factories import handoff_body, post_signed
from tests.support.staff import make_staff, signed_in


def _case(platform_factory) -> str:
    p = platform_factory()
    return post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body()).json()["id"]


@pytest.mark.django_db
def test_claim_opens_the_case_page_and_the_loser_is_told_who_has_it(platform_factory) -> None:
    case_id = _case(platform_factory)
    casey = make_staff("casey", display_name="Casey")
    jordan = make_staff("jordan", display_name="Jordan")

    won = signed_in(casey).post(f"/cases/{case_id}/claim", headers={"HX-Request": "true"})
    assert won.status_code == 200
    assert won["HX-Redirect"] == f"/cases/{case_id}/"

    lost = signed_in(jordan).post(f"/cases/{case_id}/claim", headers={"HX-Request": "true"})
    assert lost.status_code == 409
    assert "Already claimed by Casey." in lost.content.decode()

    handoff = Handoff.objects.get(pk=case_id)
    assert handoff.status == Status.CLAIMED and handoff.claimed_by == casey
    assert HandoffEvent.objects.filter(handoff_id=case_id, kind=EventKind.CLAIMED).count() == 1
    assert Callback.objects.filter(handoff_id=case_id, event=CallbackEvent.CLAIMED).count() == 1
    # A double click by the winner is not an error, and claims nothing twice.
    again = signed_in(casey).post(f"/cases/{case_id}/claim")
    assert again.status_code == 302 and again["Location"] == f"/cases/{case_id}/"
    assert HandoffEvent.objects.filter(handoff_id=case_id, kind=EventKind.CLAIMED).count() == 1


@pytest.mark.django_db
def test_plain_form_claim_refusal_is_a_page(platform_factory) -> None:
    case_id = _case(platform_factory)
    signed_in(make_staff("casey", display_name="Casey")).post(f"/cases/{case_id}/claim")
    response = signed_in(make_staff("jordan")).post(f"/cases/{case_id}/claim")
    assert response.status_code == 409
    assert "Already claimed by Casey." in response.content.decode()
    assert "Back to the queue" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_claims_one_winner(platform_factory) -> None:
    case_id = _case(platform_factory)
    counselors = [make_staff(f"c{i:02d}", display_name=f"Counselor {i:02d}") for i in range(20)]
    clients = [signed_in(c) for c in counselors]
    barrier = threading.Barrier(20)
    results: list = [None] * 20

    def claim(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            response = clients[i].post(f"/cases/{case_id}/claim", headers={"HX-Request": "true"})
            results[i] = (response.status_code, response.content.decode())
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    winners = [i for i, (status, _) in enumerate(results) if status == 200]
    assert len(winners) == 1, results
    owner = Handoff.objects.get(pk=case_id).claimed_by
    assert owner == counselors[winners[0]]
    losers = [body for status, body in results if status == 409]
    assert len(losers) == 19
    assert all(f"Already claimed by {owner}." in body for body in losers)
    assert HandoffEvent.objects.filter(handoff_id=case_id, kind=EventKind.CLAIMED).count() == 1


@pytest.mark.django_db
def test_release_puts_the_case_back_in_its_place(platform_factory) -> None:
    case_id = _case(platform_factory)
    casey = make_staff("casey")
    signed_in(casey).post(f"/cases/{case_id}/claim")
    queued_at = Handoff.objects.get(pk=case_id).queued_at

    # Only the holder (or a supervisor) can release.
    refused = signed_in(make_staff("jordan")).post(f"/cases/{case_id}/release")
    assert refused.status_code == 409
    assert Handoff.objects.get(pk=case_id).claimed_by == casey

    response = signed_in(casey).post(f"/cases/{case_id}/release")
    assert response.status_code == 302
    handoff = Handoff.objects.get(pk=case_id)
    assert handoff.status == Status.QUEUED and handoff.claimed_by is None
    assert handoff.queued_at == queued_at
    assert HandoffEvent.objects.filter(handoff_id=case_id, kind=EventKind.RELEASED).exists()


@pytest.mark.django_db
def test_transfer_to_a_colleague_and_supervisor_reassign(platform_factory) -> None:
    case_id = _case(platform_factory)
    casey, jordan = make_staff("casey"), make_staff("jordan")
    morgan = make_staff("morgan", role=Role.SUPERVISOR)
    signed_in(casey).post(f"/cases/{case_id}/claim")

    signed_in(casey).post(f"/cases/{case_id}/transfer", {"to": jordan.pk, "note": "Over to you."})
    assert Handoff.objects.get(pk=case_id).claimed_by == jordan
    # Casey no longer holds it and cannot move it.
    assert (
        signed_in(casey)
        .post(f"/cases/{case_id}/transfer", {"to": casey.pk, "note": "Back."})
        .status_code
        == 409
    )
    # A supervisor can reassign.
    signed_in(morgan).post(f"/cases/{case_id}/transfer", {"to": casey.pk, "note": "Back to Casey."})
    assert Handoff.objects.get(pk=case_id).claimed_by == casey
    # Back to the queue.
    signed_in(casey).post(f"/cases/{case_id}/transfer", {"to": ""})
    assert Handoff.objects.get(pk=case_id).status == Status.QUEUED
    kinds = list(HandoffEvent.objects.filter(handoff_id=case_id).values_list("kind", flat=True))
    assert kinds.count(EventKind.TRANSFERRED) == 2 and kinds[-1] == EventKind.RELEASED
    bad = signed_in(casey).post(f"/cases/{case_id}/transfer", {"to": "999999"})
    assert bad.status_code in (400, 409)


@pytest.mark.django_db
def test_withdrawn_case_cannot_be_claimed(platform_factory) -> None:
    p = platform_factory()
    case_id = post_signed(Client(), p.url(), secret=p.inbound_secret, body=handoff_body()).json()[
        "id"
    ]
    post_signed(
        Client(),
        p.url(f"/{case_id}/withdraw"),
        secret=p.inbound_secret,
        body={"reason": "user_left"},
    )
    response = signed_in(make_staff("casey")).post(
        f"/cases/{case_id}/claim", headers={"HX-Request": "true"}
    )
    assert response.status_code == 409
    assert "withdrawn" in response.content.decode()
