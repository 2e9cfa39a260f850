"""The review queue's queries do not grow with the number of cases."""

from datetime import timedelta

import pytest
from django.utils import timezone

from handoff.models import EmergencyCall, Handoff, Outcome
from tests.cases.test_history import copies
from tests.support.staff import signed_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("n", [10, 200])
def test_reviews_queries_flat(world, n, django_assert_max_num_queries) -> None:
    cases = copies(
        world,
        n,
    )
    now = timezone.now()
    # Built in bulk, past the services: the mark they would have left is set by hand.
    Handoff.objects.filter(pk__in=[c.pk for c in cases]).update(
        outcome=Outcome.EMERGENCY_CALL, review_queued_at=now
    )
    EmergencyCall.objects.bulk_create(
        EmergencyCall(
            handoff=c,
            counselor=world.counselor,
            center_name="Center",
            center_number="6145550100",
            dialed_at=now - timedelta(minutes=1),
            relayed="x",
            person_consented=True,
        )
        for c in cases
    )
    supervisor = signed_in(world.supervisor)
    with django_assert_max_num_queries(12):
        html = supervisor.get("/reviews/").content.decode()
    assert html.count('data-testid="review-row"') == min(n, 50)
