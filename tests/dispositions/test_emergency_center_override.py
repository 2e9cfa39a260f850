"""The directory only proposes an emergency center: during the call the counselor may pick
another one from the directory, or type the center and its number, and the record keeps both
what was called and what the directory suggested."""

from html.parser import HTMLParser
from typing import Any

import pytest
from django.utils import timezone

from handoff.models import EmergencyCall, EventKind, HandoffEvent

pytestmark = pytest.mark.django_db


class _Select(HTMLParser):
    """The options of the emergency screen's center select: (value, label, selected)."""

    def __init__(self) -> None:
        super().__init__()
        self.options: list[tuple[str, str, bool]] = []
        self.inputs: set[str] = set()
        self._in_select = False
        self._option: list | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "select" and a.get("name") == "center":
            self._in_select = True
        elif tag == "option" and self._in_select:
            self._option = [a.get("value") or "", "", "selected" in a]
        elif tag == "input" and a.get("type") != "hidden":
            self.inputs.add(a.get("name") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None:
            value, label, selected = self._option
            self.options.append((value, " ".join(label.split()), selected))
            self._option = None
        elif tag == "select":
            self._in_select = False

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[1] += data


def _call(world, **fields) -> Any:
    return world.client.post(
        f"{world.url}emergency",
        {
            "dialed_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "relayed": "Address, callback number, pills taken",
            "person_consented": "yes",
            **fields,
        },
    )


def _recorded(world) -> list[dict]:
    return [
        e.data | {"actor": e.actor_id}
        for e in HandoffEvent.objects.filter(
            handoff_id=world.case_id, kind=EventKind.EMERGENCY_CALL_RECORDED
        ).order_by("id")
    ]


def test_the_counselor_overrides_the_directory_and_the_suggestion_is_kept(world, directory) -> None:
    franklin, delaware = directory["franklin"], directory["delaware"]
    screen = _Select()
    screen.feed(world.client.get(f"{world.url}emergency").content.decode())
    by_value = {value: (label, selected) for value, label, selected in screen.options}
    # The match is chosen and marked, the other centers of its state can be, and so can "by hand".
    assert by_value[str(franklin.pk)] == (
        "Franklin County Emergency Communications, Franklin County · (614) 555-0100 (suggested)",
        True,
    )
    assert by_value[str(delaware.pk)][1] is False
    assert "Delaware County 911" in by_value[str(delaware.pk)][0]
    assert by_value[""][1] is False and "Not in the directory" in by_value[""][0]
    assert {"center_name", "center_number"} <= screen.inputs

    # Choosing a center and typing one is ambiguous: refused beside the field, nothing recorded,
    # what was typed still there.
    both = _call(world, center=franklin.pk, center_name="Franklin ECC", center_number="6145550999")
    body = both.content.decode()
    assert both.status_code == 400
    choice = body[body.index('data-testid="center-choice"') :]
    assert "not both" in choice[: choice.index("</fieldset>")]
    assert 'value="6145550999"' in body
    assert not EmergencyCall.objects.exists()

    # Another center from the directory.
    assert _call(world, center=delaware.pk).status_code == 302
    # A center typed by hand: the directory's entry was stale.
    typed = _call(
        world, center="", center_name="Franklin ECC (new line)", center_number="6145550999"
    )
    assert typed.status_code == 302

    first, second = EmergencyCall.objects.filter(handoff_id=world.case_id).order_by("id")
    assert (first.center, first.center_name, first.center_number) == (
        delaware,
        "Delaware County 911",
        "7405550101",
    )
    assert (second.center, second.center_name, second.center_number) == (
        None,
        "Franklin ECC (new line)",
        "6145550999",
    )
    # The directory's suggestion is kept on each call's row, beside the center called.
    assert first.suggested_center == second.suggested_center == franklin
    # The log says who, and that the suggestion was overridden; which centers (they say where
    # the person is) are on the rows, never in the log, which cannot be erased.
    overrides = _recorded(world)
    assert [
        (e["actor"], e["call"], e["overridden"], e["suggested"], e["from_directory"])
        for e in overrides
    ] == [
        (world.counselor.pk, first.pk, True, True, True),
        (world.counselor.pk, second.pk, True, True, False),
    ]
    for event in overrides:
        assert not {"center", "number", "name"} & set(event), event
        assert "Franklin" not in str(event) and "6145550" not in str(event)


def test_taking_the_suggestion_is_no_override(world, directory) -> None:
    assert _call(world, center=directory["franklin"].pk).status_code == 302
    (event,) = _recorded(world)
    assert event["overridden"] is False and event["suggested"] is True
    assert EmergencyCall.objects.get().suggested_center == directory["franklin"]
