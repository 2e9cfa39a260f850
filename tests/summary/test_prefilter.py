"""The literal prefilter: it must never hide a match, and it must keep the work bounded.

The engine runs a rule only on the messages that hold one of the rule's required literals
(see ``lexicon.required_literals``). These tests compare it with the plain pass of every rule over
the whole joined text, and count rule regex passes instead of timing anything.
"""

from __future__ import annotations

import random
import re
from re import _constants as _c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

import pytest

from handoff.summary import engine, lexicon
from handoff.summary.evaluate import load_cases, transcript_of
from handoff.summary.types import TranscriptLine

CASES = load_cases()


def _hits(transcript: list[TranscriptLine], *, prefilter: bool) -> list[tuple[Any, ...]]:
    reader = engine._Reader(transcript, prefilter=prefilter)
    reader.scan()
    return [
        (h.kind, h.code, h.message, h.start, h.end, h.span, h.access, h.label)
        for h in [*reader.hits, *reader.third]
    ]


def _long(size: int) -> list[TranscriptLine]:
    pool = [line for case in CASES for line in transcript_of(case)]
    return [pool[i % len(pool)] for i in range(size)]


def test_same_matches_as_the_plain_pass_on_the_evaluation_set() -> None:
    for case in CASES:
        transcript = transcript_of(case)
        assert _hits(transcript, prefilter=True) == _hits(transcript, prefilter=False), case["id"]


@pytest.mark.parametrize(
    "text",
    [
        "I'M GOING TO KILL MYSELF TONIGHT",
        "İ took 30 pills",
        "i'm on the bridge \u017fo i'll do it",
        "i wanna d1e... su1cide is all i think about 💊💊",
        "my friend said she wants to die",
        "kms\n\nkms",
        "",
    ],
)
def test_same_matches_on_odd_text(text: str) -> None:
    transcript = [
        TranscriptLine(role="assistant", text="Are you thinking about suicide?"),
        TranscriptLine(role="user", text=text),
        TranscriptLine(role="user", text=text.upper()),
    ]
    assert _hits(transcript, prefilter=True) == _hits(transcript, prefilter=False)


def test_long_transcript_same_summary_and_bounded_rule_passes() -> None:
    transcript = _long(2000)
    users = sum(1 for line in transcript if line.role == "user")
    assert _hits(transcript, prefilter=True) == _hits(transcript, prefilter=False)
    reader = engine._Reader(transcript)
    reader.scan()
    # Without the prefilter every rule reads every message (rules x messages); with it a rule
    # reads only the messages holding its literals. The evaluation set is dense with risk
    # language, so this is the worst case: still under a tenth of the plain work.
    assert 0 < reader.rule_runs <= len(lexicon.RULES) * users // 10


def test_ordinary_talk_runs_no_rule() -> None:
    transcript = [
        TranscriptLine(role="user" if i % 2 else "assistant", text=text)
        for i, text in enumerate(["hey, ok", "yeah sure, it was fine", "we got pizza"] * 200)
    ]
    reader = engine._Reader(transcript)
    reader.scan()
    assert reader.rule_runs == 0
    assert reader.hits == []


def _can_match_nul(items: Any) -> bool:
    for op, av in items:
        if op in (_c.ANY, _c.NOT_LITERAL):
            return True
        if op is _c.IN:
            negated = any(o is _c.NEGATE for o, _ in av)
            wide = {_c.CATEGORY_NOT_WORD, _c.CATEGORY_NOT_SPACE, _c.CATEGORY_NOT_DIGIT}
            if any(o is _c.CATEGORY and a in wide for o, a in av) or (
                negated and (_c.LITERAL, ord("\n")) not in av
            ):
                return True
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            if _can_match_nul(av[2]):
                return True
        elif op is _c.SUBPATTERN:
            if _can_match_nul(av[-1]):
                return True
        elif op is _c.BRANCH:
            if any(_can_match_nul(b) for b in av[1]):
                return True
        elif op in (_c.ASSERT, _c.ASSERT_NOT) and _can_match_nul(av[1]):
            return True
    return False


@pytest.mark.parametrize("index", range(len(lexicon.FAST_RULES)))
def test_rule_cannot_cross_the_separator(index: int) -> None:
    """What running a rule on one message at a time relies on: no match is empty, none starts on
    the separator, and none can consume its NUL (a negated class must exclude the newline that
    comes before it)."""
    rule, fast = lexicon.FAST_RULES[index]
    parsed = _parser.parse(fast.pattern, fast.flags)
    assert parsed.getwidth()[0] > 0, rule.code
    assert not _can_match_nul(list(parsed)), rule.code
    assert fast.match("\n\x00\n") is None
    assert fast.match("\x00\n") is None
    assert fast.match("\n") is None


def test_casefold_odd_letters_are_all_there() -> None:
    """The letters outside ASCII that a case-insensitive ASCII letter matches, but that do not
    lowercase to it, are exactly those the helper patterns' prefilter lets through."""
    letter = re.compile("[a-z]", re.IGNORECASE)
    odd = {
        chr(cp)
        for cp in range(0x80, 0x3000)
        if letter.fullmatch(chr(cp)) and not chr(cp).lower().isascii()
    }
    assert odd == set(lexicon.CASEFOLD_ODD)


def test_every_rule_and_helper_has_required_literals() -> None:
    assert lexicon.ALWAYS == 0
    for bit, clauses in lexicon.REQUIRED.items():
        assert clauses, bit
        for clause in clauses:
            for lit in clause:
                assert lit, bit
                assert lit == lit.lower()
                assert not any(ch.isspace() or ch == "\x00" for ch in lit)


def test_required_literals_are_required() -> None:
    """Every match of every rule in the evaluation set holds a literal of each required set."""
    for (rule, fast), bit in zip(lexicon.FAST_RULES, range(len(lexicon.RULES)), strict=True):
        clauses = lexicon.REQUIRED[1 << bit]
        for case in CASES:
            for line in case["transcript"]:
                for m in fast.finditer(engine._lower(line["text"])):
                    for clause in clauses:
                        assert any(lit in m.group() for lit in clause), (rule.code, m.group())


def test_required_literals_of_a_small_pattern() -> None:
    pattern = re.compile(r"\bburden\b|\b(?:better|happier)\s+off\s+without\s+me\b")
    clauses = lexicon.required_literals(pattern)
    assert clauses[0] == frozenset({"burden", "without"})
    assert lexicon.required_literals(re.compile(r"\w+")) == []


# ---- the context prefilter and the fast path as a whole ----------------------------------------


def _summaries(transcript: list[TranscriptLine]) -> tuple[str, str]:
    fast = engine.RuleEngine()
    plain = engine.RuleEngine()
    plain._prefilter = False
    return (
        fast.summarize(transcript=transcript, platform_level="moderate").model_dump_json(),
        plain.summarize(transcript=transcript, platform_level="moderate").model_dump_json(),
    )


def test_same_summaries_as_the_plain_path_on_the_evaluation_set() -> None:
    for case in CASES:
        fast, plain = _summaries(transcript_of(case))
        assert fast == plain, case["id"]


def _mutate(rng: random.Random, text: str) -> str:
    pick = rng.randrange(8)
    if pick == 0:
        return text.upper()
    if pick == 1:
        return text.title()
    if pick == 2:  # drop punctuation: longer sentences, fewer clause breaks
        return "".join(c for c in text if c.isalnum() or c.isspace())
    if pick == 3:  # letters that case-insensitive patterns match without lowercasing to them
        return text.replace("s", "\u017f").replace("i", "\u0131", 1).replace("I", "\u0130", 1)
    if pick == 4:
        return text + rng.choice([" lol", " jk", ", not joking", " (song lyric)", " years ago"])
    if pick == 5:
        return rng.choice(["my friend said ", "she ", "I don't think ", "what if someone "]) + text
    return text


def _generated(seed: int, size: int) -> list[TranscriptLine]:
    rng = random.Random(seed)
    pool = [line for case in CASES for line in transcript_of(case)]
    out: list[TranscriptLine] = []
    for _ in range(size):
        line = rng.choice(pool)
        text = line.text
        if rng.random() < 0.3:
            text += " " + rng.choice(pool).text  # two messages run together
        out.append(TranscriptLine(role=line.role, text=_mutate(rng, text)))
    return out


@pytest.mark.parametrize("seed", range(40))
def test_same_summaries_on_generated_transcripts(seed: int) -> None:
    transcript = _generated(seed, 60)
    if seed % 2:
        engine._CHUNK_MASKS.clear()  # a cold word cache as well as a warm one
    fast, plain = _summaries(transcript)
    assert fast == plain, seed
    assert _hits(transcript, prefilter=True) == _hits(transcript, prefilter=False), seed


def test_context_cues_hold_their_required_literals() -> None:
    """Every match of every context pattern, on the evaluation set and generated text, holds a
    literal of each of its required sets in the lowercased text: a message without them cannot
    match, so skipping the search there changes nothing."""
    texts = [line["text"] for case in CASES for line in case["transcript"]]
    texts += [line.text for seed in range(5) for line in _generated(seed, 100)]
    for bit, pattern in lexicon.CUES:
        clauses = lexicon.REQUIRED[bit]
        assert clauses, pattern.pattern
        for text in texts:
            if not lexicon.CASEFOLD_ODD.isdisjoint(text):
                continue  # the engine reads every cue in such a message
            for m in pattern.finditer(text):
                low = engine._lower(m.group())
                for clause in clauses:
                    assert any(lit in low for lit in clause), (pattern.pattern[:40], m.group())


@pytest.mark.parametrize(
    ("plain", "fast"),
    [
        (lexicon.SUBJECT, lexicon.SUBJECT_FAST),
        (lexicon.NEGATORS, lexicon.NEGATORS_FAST),
        (lexicon.CLAUSE_BREAK, lexicon.CLAUSE_BREAK_FAST),
    ],
)
def test_skip_ahead_patterns_find_the_same_matches(
    plain: re.Pattern[str], fast: re.Pattern[str]
) -> None:
    assert fast.pattern != plain.pattern  # the lookahead was added
    texts = [line["text"] for case in CASES for line in case["transcript"]]
    texts += [line.text for seed in range(5) for line in _generated(seed, 100)]
    for text in texts:
        for pos in range(0, len(text), 7):
            assert [(m.span(), m.groupdict()) for m in fast.finditer(text, pos)] == [
                (m.span(), m.groupdict()) for m in plain.finditer(text, pos)
            ]


def test_chunk_cache_gives_the_whole_text_mask() -> None:
    """A message's trigger bits read chunk by chunk (from the cache or not) are those of one
    trigger pass over the whole message."""

    def whole(low: str) -> int:
        mask = 0
        for start in range(len(low)):
            m = lexicon.TRIGGER.match(low, start)
            if m is not None:
                mask |= lexicon.TRIGGER_MASK[m.group()]
        return mask

    texts = [line["text"] for case in CASES for line in case["transcript"]]
    texts += [line.text for line in _generated(7, 200)]
    engine._CHUNK_MASKS.clear()
    for _ in range(2):  # cold, then warm
        for text in texts:
            low = engine._lower(text)
            assert engine._trigger_mask(low) == whole(low), text


def test_chunk_cache_is_bounded() -> None:
    engine._CHUNK_MASKS.clear()
    long_chunk = "x" * (engine._CHUNK_CACHE_LEN + 1) + "kms"
    assert engine._trigger_mask(long_chunk) == engine._chunk_mask(long_chunk)
    assert long_chunk not in engine._CHUNK_MASKS
    for i in range(engine._CHUNK_CACHE_SIZE + 5):
        engine._trigger_mask(f"w{i}")
    assert 0 < len(engine._CHUNK_MASKS) <= engine._CHUNK_CACHE_SIZE
