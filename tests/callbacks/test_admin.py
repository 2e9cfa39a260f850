"""The callback admin: a read-only record of what was owed to platforms and every attempt."""

import pytest
from django.utils import timezone

from counselors.models import Role
from handoff.models import CallbackAttempt, CallbackEvent, Handoff
from tests.callbacks import callback_for, new_case, point_at, relayed
from tests.support.staff import make_staff, signed_in


@pytest.mark.django_db
def test_changelist_and_change_view_load_read_only(platform_factory) -> None:
    p = platform_factory()
    point_at(p, "http://127.0.0.1:9/never")
    case_id = new_case(p)
    callback = callback_for(case_id, CallbackEvent.QUEUED)
    CallbackAttempt.objects.create(
        callback=callback, number=1, at=timezone.now(), status_code=500, error="HTTP 500"
    )
    admin = signed_in(make_staff("root", role=Role.ADMIN))

    listing = admin.get("/admin/handoff/callback/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "handoff.queued" in html and case_id in html and p.platform.name in html
    for query in ("?status__exact=pending", "?event__exact=handoff.queued", "?q=not-a-uuid"):
        assert admin.get(f"/admin/handoff/callback/{query}").status_code == 200
    assert admin.get(f"/admin/handoff/callback/?q={case_id}").status_code == 200

    page = admin.get(f"/admin/handoff/callback/{callback.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert callback.webhook_id in html and "HTTP 500" in html
    assert 'name="_save"' not in html  # nothing to change

    # A relayed message's words stay out of the admin: it shows ids and statuses only.
    handoff = Handoff.objects.select_related("platform").get(pk=case_id)
    words = "I'm calling you now, stay on the line."
    message = relayed(handoff, words)
    page = admin.get(f"/admin/handoff/callback/{message.pk}/change/")
    assert page.status_code == 200 and "calling you now" not in page.content.decode()

    assert admin.get("/admin/handoff/callback/add/").status_code == 403
    assert admin.post(f"/admin/handoff/callback/{callback.pk}/delete/").status_code == 403


@pytest.mark.django_db
def test_counselors_cannot_see_it(platform_factory) -> None:
    counselor = signed_in(make_staff("casey"))
    assert counselor.get("/admin/handoff/callback/").status_code == 302
