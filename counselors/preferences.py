"""A person's own console preferences: the theme (as their system, light or dark) and how the
alert for an urgent case sounds to them (on, quiet, muted). Kept on the account, so they follow
the person to any desk; each change is an account event (fixed words: the new values)."""

from django import forms

from counselors.events import account_record
from counselors.models import AccountEventKind, AlertSound, Theme, User


class PreferencesForm(forms.Form):
    theme = forms.ChoiceField(choices=Theme.choices, widget=forms.RadioSelect, label="Theme")
    alert_sound = forms.ChoiceField(
        choices=AlertSound.choices,
        widget=forms.RadioSelect,
        label="Alert sound for an urgent case",
        help_text="The page's title and banner still change when the sound is muted.",
    )

    @classmethod
    def of(cls, user: User) -> "PreferencesForm":
        return cls(initial={"theme": user.theme, "alert_sound": user.alert_sound})


def preferences_set(*, user: User, theme: str, alert_sound: str) -> bool:
    """Save the person's choices; False (and nothing recorded) when nothing changed."""
    if (user.theme, user.alert_sound) == (theme, alert_sound):
        return False
    user.theme = theme
    user.alert_sound = alert_sound
    user.save(update_fields=["theme", "alert_sound"])
    account_record(
        kind=AccountEventKind.PREFERENCES_CHANGED,
        user_id=user.pk,
        actor_id=user.pk,
        detail=f"theme={theme} sound={alert_sound}",
    )
    return True
