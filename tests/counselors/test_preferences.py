"""A person's theme and alert sound: chosen on their account page, kept on the account, put on
every page they open (the theme on <html>, before any script; the sound on the alert)."""

import pytest

from counselors.models import AccountEvent, AccountEventKind, AlertSound, Theme
from tests.support.staff import make_staff, signed_in

pytestmark = pytest.mark.django_db


def test_the_choice_is_kept_and_drawn_on_the_first_byte_of_each_page() -> None:
    casey = make_staff("casey")
    client = signed_in(casey)
    page = client.get("/").content.decode()
    assert "data-theme=" not in page.split("<head>")[0]  # the system decides
    assert 'data-sound="on"' in page

    answer = client.post("/account/preferences", {"theme": "dark", "alert_sound": "muted"})
    assert answer.status_code == 302 and answer["Location"].endswith("/account/#preferences")
    casey.refresh_from_db()
    assert (casey.theme, casey.alert_sound) == (Theme.DARK, AlertSound.MUTED)
    page = client.get("/").content.decode()
    assert '<html lang="en" data-theme="dark">' in page
    assert 'data-sound="muted"' in page
    assert AccountEvent.objects.filter(
        kind=AccountEventKind.PREFERENCES_CHANGED, user_id=casey.pk, detail="theme=dark sound=muted"
    ).exists()
    # Saving the same again records nothing more.
    client.post("/account/preferences", {"theme": "dark", "alert_sound": "muted"})
    assert AccountEvent.objects.filter(kind=AccountEventKind.PREFERENCES_CHANGED).count() == 1


def test_bad_choices_are_refused_and_change_nothing() -> None:
    casey = make_staff("casey")
    client = signed_in(casey)
    for body in ({"theme": "neon", "alert_sound": "on"}, {"theme": "light"}, {}):
        answer = client.post("/account/preferences", body)
        assert answer.status_code == 400
        assert "Select a valid choice" in answer.content.decode() or "required" in (
            answer.content.decode()
        )
    casey.refresh_from_db()
    assert (casey.theme, casey.alert_sound) == (Theme.SYSTEM, AlertSound.ON)
