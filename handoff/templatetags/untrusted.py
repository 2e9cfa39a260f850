"""Text from outside the console (the person's words, what the platform sent, the machine summary
that quotes them), shown as sent without letting it change what is around it.

Each value is escaped first; then every invisible or direction-control character is replaced, on
screen only, by a visible labelled token (U+202E becomes ⟨RLO⟩), so a hidden override can no
longer reverse a phone number and nothing invisible hides inside a word; then the value is
isolated in a `<bdi>`, so even right-to-left text, which is legitimate, cannot reorder its
neighbours. Stored text and the summary's evidence stay verbatim: only what is drawn changes.
"""

import unicodedata
from collections.abc import Callable
from functools import cache

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Categories drawn as nothing, or that steer the text around them: controls, format characters
# (bidi embeddings, overrides and isolates, marks, zero-width characters, tags), line and
# paragraph separators, and lone surrogates (which cannot even be encoded in the response).
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# Letters and marks that draw as blank space and are used to pass off one text as another.
_BLANK_LETTERS = frozenset("\u034f\u115f\u1160\u3164\uffa0")

_C0 = [
    *("NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT"),
    *("FF", "CR", "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB"),
    *("CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US"),
]
_SHORT = {
    **dict(enumerate(_C0)),
    0x7F: "DEL",
    0x00AD: "SHY",
    0x034F: "CGJ",
    0x061C: "ALM",
    0x115F: "HF",
    0x1160: "HF",
    0x180E: "MVS",
    0x200B: "ZWSP",
    0x200C: "ZWNJ",
    0x200D: "ZWJ",
    0x200E: "LRM",
    0x200F: "RLM",
    0x2028: "LSEP",
    0x2029: "PSEP",
    0x202A: "LRE",
    0x202B: "RLE",
    0x202C: "PDF",
    0x202D: "LRO",
    0x202E: "RLO",
    0x2060: "WJ",
    0x2066: "LRI",
    0x2067: "RLI",
    0x2068: "FSI",
    0x2069: "PDI",
    0x3164: "HF",
    0xFEFF: "BOM",
    0xFFA0: "HF",
}
_ZWJ = "\u200d"
_NEWLINES = ("\r\n", "\r", "\n")


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _pictographic(ch: str) -> bool:
    # Emoji, the emoji presentation selector and skin tones: what a joiner joins in an emoji.
    return unicodedata.category(ch) == "So" or ch == "\ufe0f" or 0x1F3FB <= ord(ch) <= 0x1F3FF


def _hidden_at(text: str, i: int) -> bool:
    ch = text[i]
    if unicodedata.category(ch) not in _HIDDEN_CATEGORIES and ch not in _BLANK_LETTERS:
        return False
    # A zero-width joiner inside an emoji sequence draws one picture (a firefighter from a
    # woman and a fire engine): it is seen, and cannot reorder anything.
    joins_emoji = (
        0 < i < len(text) - 1 and _pictographic(text[i - 1]) and _pictographic(text[i + 1])
    )
    return not (ch == _ZWJ and joins_emoji)


def _plain(text: str) -> bool:
    """Nothing hidden for certain (the common case, checked quickly): spaces aside, printable
    characters are neither controls, format characters nor separators."""
    return text.isprintable() and _BLANK_LETTERS.isdisjoint(text)


def has_hidden(value: object) -> bool:
    """Whether the value holds a character that is shown marked."""
    text = _text(value)
    return not _plain(text) and any(_hidden_at(text, i) for i in range(len(text)))


@cache
def token(ch: str) -> str:
    """The visible stand-in for a hidden character: ⟨RLO⟩, or ⟨U+E0041⟩ for one without a
    short name."""
    cp = ord(ch)
    return f"⟨{_SHORT.get(cp) or f'U+{cp:04X}'}⟩"


@cache
def _marker(ch: str) -> str:
    cp = ord(ch)
    name = unicodedata.name(ch, "") or ("control character" if cp < 0xA0 else "")
    title = f"Hidden character U+{cp:04X}" + (f": {name.lower()}" if name else "")
    # Its own left-to-right isolate: the token reads the same inside right-to-left text.
    return f'<abbr class="hidden-char" dir="ltr" title="{escape(title)}">{escape(token(ch))}</abbr>'


def _mark(text: str, replace: Callable[[str], str]) -> str:
    if _plain(text):
        return text
    return "".join(replace(ch) if _hidden_at(text, i) else ch for i, ch in enumerate(text))


def _isolated(escaped: str) -> SafeString:
    if not escaped:
        return SafeString()
    return mark_safe(f'<bdi class="untrusted">{escaped}</bdi>')  # noqa: S308 (escaped, then marked)


@register.filter(is_safe=True)
def untrusted(value: object) -> SafeString:
    """A one-line value from outside (a name, an address part, a quote, a headline): escaped,
    hidden characters marked (line breaks too: a name has none), isolated."""
    return _isolated(_mark(escape(_text(value)), _marker))


@register.filter(is_safe=True)
def untrusted_lines(value: object) -> SafeString:
    """Text from outside that may span lines (a message, a note): as `untrusted`, with its line
    breaks kept as breaks."""
    text: str = escape(_text(value))
    for newline in _NEWLINES[:2]:
        text = text.replace(newline, "\n")
    return _isolated("<br>".join(_mark(line, _marker) for line in text.split("\n")))


@register.filter
def untrusted_plain(value: object) -> str:
    """For plain-text output (the export): hidden characters replaced by their visible tokens,
    line breaks and tabs kept. Not for HTML (it does not escape)."""
    text = _text(value)
    for newline in _NEWLINES[:2]:
        text = text.replace(newline, "\n")
    return "\n".join(
        "\t".join(_mark(part, token) for part in line.split("\t")) for line in text.split("\n")
    )
