"""Offline language guess from stop-word counts.

The engine has rules for English only. For anything else it must say it cannot assess rather than
read Spanish with English rules and report "no risk found", so the guess only needs to tell
English from the other common languages of a US crisis line, and to stay English when the text is
too short or too slangy to tell.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "pt": "Portuguese",
    "it": "Italian",
}

# Words that are frequent in one language and rare in the others. Words shared between two
# languages ("a", "de", "que", "no") are left out so they do not blur the counts.
_STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "i",
            "me",
            "my",
            "the",
            "and",
            "is",
            "are",
            "was",
            "to",
            "of",
            "it",
            "that",
            "this",
            "you",
            "what",
            "don't",
            "dont",
            "can't",
            "cant",
            "im",
            "i'm",
            "just",
            "want",
            "with",
            "have",
            "not",
            "be",
            "so",
            "but",
            "about",
            "do",
            "feel",
            "know",
            "like",
            "anymore",
            "they",
            "he",
            "she",
            "we",
            "anyone",
            "everyone",
            "myself",
            "would",
            "will",
            "going",
            "gonna",
            "wanna",
            "really",
        ]
    ),
    "es": frozenset(
        [
            "yo",
            "el",
            "los",
            "las",
            "una",
            "quiero",
            "tengo",
            "estoy",
            "muy",
            "pero",
            "porque",
            "nadie",
            "nada",
            "mi",
            "mis",
            "esta",
            "está",
            "ya",
            "más",
            "mas",
            "también",
            "tambien",
            "cuando",
            "donde",
            "dónde",
            "hoy",
            "noche",
            "morir",
            "vida",
            "puedo",
            "siento",
            "solo",
            "sola",
            "ayuda",
            "necesito",
            "matarme",
            "hacer",
            "eso",
            "sé",
            "ahora",
        ]
    ),
    "fr": frozenset(
        [
            "je",
            "le",
            "les",
            "une",
            "et",
            "est",
            "suis",
            "pas",
            "ne",
            "mais",
            "pourquoi",
            "personne",
            "rien",
            "mon",
            "ma",
            "mes",
            "avec",
            "j'ai",
            "veux",
            "plus",
            "aujourd'hui",
            "ce",
            "soir",
            "mourir",
            "vie",
            "peux",
            "sens",
            "seul",
            "seule",
            "aide",
            "besoin",
            "faire",
            "c'est",
            "il",
            "elle",
            "nous",
            "vous",
            "très",
        ]
    ),
    "de": frozenset(
        [
            "ich",
            "der",
            "die",
            "das",
            "und",
            "ist",
            "bin",
            "nicht",
            "aber",
            "warum",
            "niemand",
            "nichts",
            "mein",
            "meine",
            "mit",
            "habe",
            "will",
            "mehr",
            "heute",
            "abend",
            "sterben",
            "leben",
            "kann",
            "fühle",
            "allein",
            "hilfe",
            "brauche",
            "machen",
            "es",
            "er",
            "sie",
            "wir",
            "ihr",
            "sehr",
            "auch",
        ]
    ),
    "pt": frozenset(
        [
            "eu",
            "os",
            "uma",
            "estou",
            "muito",
            "mas",
            "porque",
            "ninguém",
            "ninguem",
            "nada",
            "meu",
            "minha",
            "com",
            "tenho",
            "quero",
            "mais",
            "hoje",
            "noite",
            "morrer",
            "vida",
            "posso",
            "sinto",
            "sozinho",
            "sozinha",
            "ajuda",
            "preciso",
            "fazer",
            "isso",
            "ele",
            "ela",
            "nós",
            "você",
            "voce",
            "não",
            "nao",
            "também",
        ]
    ),
    "it": frozenset(
        [
            "io",
            "il",
            "gli",
            "una",
            "sono",
            "non",
            "ma",
            "perché",
            "nessuno",
            "niente",
            "mio",
            "mia",
            "con",
            "ho",
            "voglio",
            "più",
            "oggi",
            "stasera",
            "morire",
            "vita",
            "posso",
            "sento",
            "solo",
            "sola",
            "aiuto",
            "bisogno",
            "fare",
            "questo",
            "lui",
            "lei",
            "noi",
            "anche",
        ]
    ),
}

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
# The same words in lowercased ASCII text, where a letter is a-z: a plain character class is
# tested without looking characters up in the Unicode tables.
_ASCII_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")

# Letters that only some of the languages use: a weak hint added to the word counts.
_LETTER_HINTS: dict[str, re.Pattern[str]] = {
    "es": re.compile(r"[ñ¿¡]"),
    "fr": re.compile(r"[œèêàù]"),
    "de": re.compile(r"[ßäöü]"),
    "pt": re.compile(r"[ãõ]"),
}

# Below this many stop words in all, the text is too short to tell: keep English.
_MIN_EVIDENCE = 3


_LANGS_OF: dict[str, tuple[str, ...]] = {}
for _lang, _words in _STOP_WORDS.items():
    for _w in _words:
        _LANGS_OF[_w] = (*_LANGS_OF.get(_w, ()), _lang)

# Enough text to tell a language apart; reading a 2,000-message chat in full would add nothing.
_MAX_CHARS = 4000


def detect_language(texts: Iterable[str]) -> str:
    """Return an ISO 639-1 code; ``"en"`` when unsure."""
    counts = dict.fromkeys(_STOP_WORDS, 0.0)
    budget: list[str] = []
    size = 0
    for text in texts:
        budget.append(text)
        size += len(text)
        if size >= _MAX_CHARS:
            break
    sample = "\n".join(budget)
    low = sample.lower().replace("’", "'")
    words = (_ASCII_WORD if low.isascii() else _WORD).findall(low)
    # Only stop words count, each once per occurrence: counted first, then added per language.
    for word, n in Counter(filter(_LANGS_OF.__contains__, words)).items():
        for lang in _LANGS_OF[word]:
            counts[lang] += n
    if not sample.isascii():  # every hint letter is outside ASCII
        for lang, pattern in _LETTER_HINTS.items():
            counts[lang] += 0.5 * min(len(pattern.findall(sample)), 6)
    best = max(counts, key=lambda lang: (counts[lang], lang == "en"))
    if best == "en" or counts[best] < _MIN_EVIDENCE:
        return "en"
    # Another language must clearly outweigh English: a Spanish name or a loanword in an English
    # conversation must not switch the whole summary off.
    if counts[best] < 1.5 * counts["en"] + 1:
        return "en"
    return best


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)
