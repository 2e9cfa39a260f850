"""Text from outside never reorders what is around it (issue 11, item 2): each value isolated,
hidden and direction-control characters drawn as visible tokens, on every page that shows it,
while the stored text and the summary's evidence stay exactly as sent."""

import unicodedata
from html.parser import HTMLParser

import pytest
from django.template import Context, Template

from handoff.models import Handoff, HandoffSummary, TranscriptMessage
from handoff.templatetags.untrusted import untrusted, untrusted_lines, untrusted_plain
from tests.cases.conftest import CaseWorld
from tests.support.factories import handoff_body
from tests.support.staff import signed_in

RLO = "\u202e"
PHONE_LINE = f"call me {RLO}now 0142-555-614"
RISK_LINE = f"I want to end my life tonight, I have {RLO}30 pills\u202c here"
HIDDEN = [
    *"\u200b\u200c\u200d\u200e\u200f",
    *"\u202a\u202b\u202c\u202d\u202e",
    *"\u2066\u2067\u2068\u2069",
    "\u061c",
    "\ufeff",
    "\u2028",
    "\u2029",
    "\u00ad",  # soft hyphen, another format character
    "\x00",
    "\x1b",
    "\x7f",
    "\x85",  # a C1 control
    "\U000e0041",  # a tag character: invisible letters
    "\u3164",  # a Hangul filler: a letter drawn as blank space
]


class _Shown(HTMLParser):
    """What a page draws as text, and its tooltips."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.texts.extend(v for k, v in attrs if k == "title" and v)


def hidden_drawn(html: str) -> list[str]:
    """The hidden characters a browser would receive as text (source line breaks aside)."""
    parser = _Shown()
    parser.feed(html)
    return [
        f"U+{ord(ch):04X}"
        for text in parser.texts
        for ch in text
        if ch not in "\n\r\t" and unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"}
    ]


# The filter


def test_markup_in_untrusted_text_stays_inert() -> None:
    """Escaped first, then marked: nothing in the value becomes markup, not even a copy of
    the marker itself, and a control inside a tag is marked inside the escaped text."""
    shown = untrusted(f'<script>x</script><abbr class="hidden-char">⟨RLO⟩</abbr>&amp;<b{RLO}>')
    assert shown.startswith('<bdi class="untrusted">') and shown.endswith("</bdi>")
    assert "<script" not in shown and "<b" not in shown.replace("<bdi", "")
    assert "&lt;script&gt;x&lt;/script&gt;" in shown
    assert "&lt;abbr class=&quot;hidden-char&quot;&gt;⟨RLO⟩&lt;/abbr&gt;&amp;amp;" in shown
    assert shown.count("<abbr") == 1
    assert '&lt;b<abbr class="hidden-char" dir="ltr"' in shown
    # In a template the result is not escaped twice, and stays escaped with autoescape off.
    for template in (
        "{% load untrusted %}{{ v|untrusted }}",
        "{% load untrusted %}{% autoescape off %}{{ v|untrusted }}{% endautoescape %}",
    ):
        rendered = Template(template).render(Context({"v": "<i>&"}))
        assert rendered == '<bdi class="untrusted">&lt;i&gt;&amp;</bdi>'


@pytest.mark.parametrize("ch", HIDDEN, ids=lambda ch: f"U+{ord(ch):04X}")
def test_every_hidden_character_is_drawn_as_a_labelled_token(ch: str) -> None:
    value = f"a{ch}b"
    for shown in (untrusted(value), untrusted_lines(value)):
        assert ch not in shown
        assert f'title="Hidden character U+{ord(ch):04X}' in shown
        assert shown.count('class="hidden-char"') == 1
    assert ch not in untrusted_plain(value) and untrusted_plain(value).startswith("a⟨")


def test_the_override_is_replaced_by_a_token_naming_it() -> None:
    shown = untrusted(PHONE_LINE)
    assert shown == (
        '<bdi class="untrusted">call me <abbr class="hidden-char" dir="ltr" '
        'title="Hidden character U+202E: right-to-left override">⟨RLO⟩</abbr>'
        "now 0142-555-614</bdi>"
    )
    assert untrusted_plain(PHONE_LINE) == "call me ⟨RLO⟩now 0142-555-614"


def test_line_breaks_stay_breaks_in_text_and_are_marked_in_a_one_line_value() -> None:
    assert untrusted_lines("one\r\ntwo\nthree\rfour") == (
        '<bdi class="untrusted">one<br>two<br>three<br>four</bdi>'
    )
    assert "⟨LF⟩" in untrusted("12 Main St\nUnit 4")
    assert untrusted_plain("one\r\ntwo\tthree") == "one\ntwo\tthree"


def test_right_to_left_text_and_emoji_are_left_to_draw() -> None:
    """Arabic is isolated, not marked; a joiner inside an emoji sequence draws one picture."""
    assert untrusted("سلام 43215") == '<bdi class="untrusted">سلام 43215</bdi>'
    firefighter = "\U0001f469\u200d\U0001f692"
    assert untrusted(firefighter) == f'<bdi class="untrusted">{firefighter}</bdi>'
    assert "⟨ZWJ⟩" in untrusted("pa\u200dy")
    assert untrusted("") == "" and untrusted(None) == ""


# Through the real views, with rows stored before intake refused such characters


@pytest.fixture
def hostile(platform_factory) -> CaseWorld:
    first = handoff_body()["transcript"][0]
    world = CaseWorld(
        platform_factory,
        transcript=[{**first, "text": RISK_LINE}, {**first, "text": PHONE_LINE}],
    )
    # Put straight into the database: intake would refuse these today.
    handoff = world.handoff()
    handoff.location = {
        **handoff.location,
        "civic": {**handoff.location["civic"], "street": f"{RLO}123 Main St"},
    }
    handoff.contact = {**handoff.contact, "name": f"Sam{RLO}"}
    handoff.save(update_fields=["location", "contact"])
    return world


def test_case_page_marks_hidden_characters_and_isolates_each_value(hostile) -> None:
    page = hostile.client.get(hostile.url)
    body = page.content.decode()
    assert page.status_code == 200
    assert hidden_drawn(body) == []
    assert 'call me <abbr class="hidden-char" dir="ltr"' in body  # the message
    assert "⟨RLO⟩</abbr>123 Main St</bdi>" in body  # the street
    assert '<bdi class="untrusted">43215</bdi>' in body  # the postal code on its own
    assert "Sam<abbr" in body  # the name
    # Evidence quotes and the headline are marked too...
    summary = body.split('id="summary"')[1]
    assert summary.count("⟨RLO⟩") >= 2 and RLO not in summary
    # ...while what is stored stays exactly as sent.
    texts = set(
        TranscriptMessage.objects.filter(handoff_id=hostile.case_id).values_list("text", flat=True)
    )
    assert {RISK_LINE, PHONE_LINE} <= texts
    stored = HandoffSummary.objects.get(handoff_id=hostile.case_id).data
    assert stored["indicators"][0]["evidence"][0]["text"] == RISK_LINE
    assert hostile.handoff().location["civic"]["street"] == f"{RLO}123 Main St"


def test_emergency_script_isolates_each_field(hostile) -> None:
    screen = hostile.client.get(f"{hostile.url}emergency").content.decode()
    assert hidden_drawn(screen) == []
    script = screen[screen.index('data-testid="script"') :].split("</ol>")[0]
    location = script[script.index("Location:") :].split("</li>")[0]
    # Each value its own isolate, the console's words between them.
    assert location.count('<bdi class="untrusted">') == 7  # street to source
    assert "⟨RLO⟩</abbr>123 Main St</bdi> unit " in location
    assert ', <bdi class="untrusted">OH</bdi> <bdi class="untrusted">43215</bdi>' in location
    assert "Hidden characters in what was sent are shown marked" in location
    callback = script[script.index("Callback number:") :].split("</li>")[0]
    assert '<bdi class="untrusted">(614) 555-0142</bdi>' in callback
    assert "Name given: <bdi" in callback


def test_emergency_script_skips_values_of_the_wrong_kind(hostile) -> None:
    """A row stored before validation, with coordinates as text: left out, not a 500."""
    handoff = hostile.handoff()
    handoff.location = {**handoff.location, "geo": {"lat": f"{RLO}39.9", "lon": 1}}
    handoff.save(update_fields=["location"])
    screen = hostile.client.get(f"{hostile.url}emergency")
    assert screen.status_code == 200
    assert "GPS" not in screen.content.decode().split('data-testid="script"')[1]


def test_dashboard_marks_a_headline_quoting_hidden_characters(hostile) -> None:
    Handoff.objects.filter(pk=hostile.case_id).update(status="queued", claimed_by=None)
    page = signed_in(hostile.supervisor).get("/")
    body = page.content.decode()
    row = body[body.index(f'id="case-{hostile.case_id}"') :].split("</tr>")[0]
    assert hidden_drawn(body) == []
    assert '<td class="headline">' in row and "⟨RLO⟩" in row
    assert "<bdi" in row.split('<td class="headline">')[1]


def test_export_shows_hidden_characters_as_tokens(hostile) -> None:
    text = hostile.client.get(f"{hostile.url}export").content.decode()
    assert RLO not in text
    assert "call me ⟨RLO⟩now 0142-555-614" in text
    assert "⟨RLO⟩123 Main St" in text


def test_a_platform_cannot_reach_the_page_with_markup(platform_factory) -> None:
    """Through the signed intake: markup in a message is shown as text."""
    first = handoff_body()["transcript"][0]
    world = CaseWorld(platform_factory, transcript=[{**first, "text": "<img src=x>\u200b&amp;"}])
    page = world.client.get(world.url).content.decode()
    assert "&lt;img src=x&gt;<abbr" in page and "⟨ZWSP⟩</abbr>&amp;amp;" in page
    assert "<img src=x>" not in page
