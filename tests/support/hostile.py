"""Hostile strings, and how to tell from a response whether one got through.

A value gets through when the page it comes back on would run or draw it as something other than
text: an element or attribute it carries appears in the parsed page, template syntax in it was
evaluated, or a hidden character (control, invisible, direction-control) is drawn raw instead of
as its visible token (handoff/templatetags/untrusted.py). The one place a hidden character may
come back raw is the form field it was typed into, shown again for correcting.
"""

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

# Markers: an element or attribute named `data-pwn`, a script calling `pwn(`.
MARKER_ATTRIBUTE = "data-pwn"
MARKUP = (
    "</textarea></title></style></script>"
    '<b data-pwn="1">bold</b>"\'><img src=x data-pwn="2" onerror="pwn(2)">'
    "<script>pwn(3)</script><svg data-pwn=4 onload=pwn(4)>"
    "' data-pwn='5\" data-pwn=\"6 javascript:pwn(7)"
)
# Django template syntax, and what it would turn into if evaluated; Python format strings,
# which would raise if a value were ever used as one.
TEMPLATE = '{{ 271828|add:"1" }} {% firstof "tpl" %}-evaluated {{ request.user.password }}'
FORMAT = "%s %(x)s %d {0} {name} {0.__class__} ${7*7} #{7*7}"
EVALUATED = ("271829", "tpl-evaluated", "pbkdf2_", "md5$", "argon2")
# Control, invisible and direction-control characters (no NUL: it has its own payload), with a
# lone surrogate, which no text can hold; short enough for a phone number's field.
HIDDEN_CHARS = "\u202e\u2066\u200b\u200f\x1b\x07\ufeff\u2028\u0085\u00ad"
HIDDEN = f"1{HIDDEN_CHARS}\ud8002"
NUL = "before\x00after"


@dataclass(frozen=True)
class Payload:
    name: str
    value: str


def _huge() -> str:
    unit = f"{MARKUP} {TEMPLATE} {HIDDEN} "
    return (unit * (100_000 // len(unit) + 1))[:100_000]


MARKUP_PAYLOAD = Payload("markup", f"{MARKUP} {TEMPLATE} {FORMAT}")
HIDDEN_PAYLOAD = Payload("hidden", HIDDEN)
# Short enough for a name or an address part (200 characters at most).
SHORT_MARKUP_PAYLOAD = Payload(
    "short markup",
    '"\'><b data-pwn="8">x</b><img src=x onerror=pwn(8)> {{ 271828|add:"1" }} %s {0}',
)
# For a field of 20 characters (a phone number).
TINY_MARKUP_PAYLOAD = Payload("tiny markup", '"><i data-pwn=9>')
# Both at once, for fields that take either (a form's free text): one request instead of two.
TEXT_PAYLOAD = Payload("markup and hidden", f"{MARKUP_PAYLOAD.value} {HIDDEN}")
NUL_PAYLOAD = Payload("nul", NUL)
HUGE_PAYLOAD = Payload("100 KB", _huge())
PAYLOADS = (MARKUP_PAYLOAD, HIDDEN_PAYLOAD, NUL_PAYLOAD, HUGE_PAYLOAD)


class _Page(HTMLParser):
    """Walks a page as a browser would tokenize it, noting what hostile input made of it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == MARKER_ATTRIBUTE:
                self.problems.append(f"an injected <{tag} {name}> element was drawn")
            elif name.startswith("on") and value and "pwn(" in value:
                self.problems.append(f"an injected {name} handler on <{tag}> was drawn")
            elif name in _URL_ATTRIBUTES and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"a javascript: URL in <{tag} {name}>")
            # What was typed into a field comes back in it for correcting, verbatim.
            typed_back = tag == "input" and name == "value"
            if value and not typed_back and _raw_hidden(value):
                self.problems.append(
                    f"hidden character {_raw_hidden(value)} raw in <{tag} {name}=...>"
                )
        if tag not in _VOID:
            self._in.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._in:
            while self._in and self._in.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        inside = self._in[-1] if self._in else ""
        if inside == "script" and "pwn(" in data:
            self.problems.append("an injected inline script was drawn")
        if inside != "textarea" and _raw_hidden(data):
            self.problems.append(f"hidden character {_raw_hidden(data)} raw in the page's text")


_URL_ATTRIBUTES = ("href", "src", "action", "formaction")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


def _raw_hidden(text: str) -> str:
    found = sorted({f"U+{ord(c):04X}" for c in text if c in HIDDEN_CHARS})
    return ", ".join(found)


def alerts_in(html: str) -> int:
    """Errors and alerts a page says (Django's error lists, the console's role="alert")."""
    return html.count('class="errorlist') + html.count('role="alert"')


def page_problems(
    response: Any, *, alerts_before: int | None = None, raw_hidden_ok: bool = False
) -> list[str]:
    """What hostile input made of a response: empty when every value stayed text. A refusal
    (400, 409, 422) must say what is wrong: more errors or alerts than `alerts_before`, those
    of the page the form was on. `raw_hidden_ok`: hidden characters may be drawn as they are
    (Django's admin shows what an administrator typed as typed)."""
    problems: list[str] = []
    status = response.status_code
    if status >= 500:
        return [f"{status} (server error)"]
    content_type = response.get("Content-Type", "")
    if getattr(response, "streaming", False):
        return problems
    body = response.content.decode("utf-8", errors="replace")
    for result in EVALUATED:
        if result in body:
            problems.append(f"template syntax was evaluated ({result!r} in the response)")
    if content_type.startswith("text/html"):
        page = _Page()
        page.feed(body)
        page.close()
        problems += [p for p in page.problems if not (raw_hidden_ok and "hidden char" in p)]
        if status in (400, 409, 422) and alerts_in(body) <= (alerts_before or 0):
            problems.append(f"{status} without an error said on the page")
    elif content_type.startswith("text/plain") and _raw_hidden(body):
        problems.append(f"hidden character {_raw_hidden(body)} raw in plain text")
    return sorted(set(problems))


def fragment_problems(html: str) -> list[str]:
    """As page_problems, for a fragment of HTML (a websocket frame's)."""
    problems = [f"template syntax was evaluated ({r!r})" for r in EVALUATED if r in html]
    page = _Page()
    page.feed(html)
    page.close()
    return sorted(set(problems + page.problems))
