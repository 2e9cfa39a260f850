"""The rule engine: a pure, deterministic function from a transcript to a :class:`Summary`.

Reading order: every rule of :mod:`handoff.summary.lexicon` runs once over the person's messages
(joined, so each pattern is one regex pass); each match is checked against its sentence
(negation, hypothetical, joke, lyric, someone else, past); weak matches are kept only when risk is
near them; the kept matches become indicators, means, findings, a tier, a headline and a CAD line.
Only ``role == "user"`` text is ever evidence. The assistant's previous message is read only to
understand a short answer ("yes" to "do you have a plan?") or a bare "tonight" to "when?".
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, overload

from handoff.summary import lexicon as lx
from handoff.summary.language import detect_language, language_name
from handoff.summary.types import (
    Evidence,
    Finding,
    Indicator,
    Means,
    MeansKind,
    Summary,
    Tier,
    TranscriptLine,
)

# Joins the person's messages for one regex pass per rule. No pattern can match across it: "\x00"
# is neither a word character nor whitespace, and "\n" ends sentences.
_SEP = "\n\x00\n"
_MAX_SPAN = 180
# Sentence checks cached by _Msg.sentence_has besides lexicon's HYP, JOKE, LYRIC and PAST.
_POSSESSION = 64
_NO_ACCESS = 128
_FRAGMENT = 48
# The mask bit of each sentence check's pattern.
_FLAG_BIT: dict[int, int] = {
    lx.HYP: lx.HYPOTHETICAL_BIT,
    lx.JOKE: lx.JOKE_BIT,
    lx.LYRIC: lx.LYRIC_BIT,
    lx.PAST: lx.PAST_MARKERS_BIT,
    _POSSESSION: lx.POSSESSION_BIT,
    _NO_ACCESS: lx.NO_ACCESS_BIT,
}


class SummaryEngine(Protocol):
    name: str
    version: str

    def summarize(
        self,
        *,
        transcript: Sequence[TranscriptLine],
        platform_level: Tier | None = None,
        platform_score: float | None = None,
    ) -> Summary: ...


@dataclass(slots=True)
class _Hit:
    kind: str
    code: str
    message: int
    start: int  # the match, in message coordinates
    end: int
    span: tuple[int, int]  # the evidence span (the sentence, trimmed)
    strong: bool = True
    label: str = ""
    access: bool | None = None
    near: bool = False


@dataclass(slots=True)
class _Msg:
    index: int
    text: str
    # Which rules and helper patterns can match here (bits of lexicon.REQUIRED); all by default.
    mask: int = -1
    sentences: list[tuple[int, int]] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    # Sentence-level context (hypothetical, joke, lyric, past; possession and no access on the
    # fast path) asked once per sentence, not per match: a sentence with five risk words is read
    # once.
    context: dict[tuple[int, int], bool] = field(default_factory=dict)
    # Set by the prefiltered scan: the mask's context bits are known (a pattern whose bit is not
    # set cannot match anywhere in this message and is not searched).
    fast: bool = False
    # The context patterns: on the fast path the skip-ahead forms of SUBJECT, NEGATORS and
    # CLAUSE_BREAK, with ASCII classes when the message is ASCII-safe (same matches).
    rx: lx.Context = lx.PLAIN_CONTEXT
    # Spans of text inside quotation marks, found when first asked.
    quotes: list[tuple[int, int]] | None = None

    def sentence_has(self, flag: int, s0: int, s1: int) -> bool:
        mask = self.mask
        if not mask & _FLAG_BIT[flag]:
            return False  # its pattern cannot match anywhere in this message
        key = (flag, s0)
        found = self.context.get(key)
        if found is None:
            text = self.text
            rx = self.rx
            if flag == lx.HYP:
                found = rx.hypothetical.search(text, s0, s1) is not None
            elif flag == lx.JOKE:
                found = rx.joke.search(text, s0, s1) is not None and not (
                    mask & lx.NOT_JOKING_BIT and rx.not_joking.search(text)
                )
            elif flag == lx.LYRIC:
                found = rx.lyric.search(text, 0, s1) is not None
            elif flag == _POSSESSION:
                found = rx.possession.search(text, s0, s1) is not None
            elif flag == _NO_ACCESS:
                found = rx.no_access.search(text, s0, s1) is not None
            else:
                found = rx.past.search(text, s0, s1) is not None
            self.context[key] = found
        return found

    def sentence(self, pos: int) -> tuple[int, int]:
        if not self.sentences:
            self.sentences = _split_sentences(self.text, self.rx.sentence_end)
            self.starts = [s for s, _ in self.sentences]
        i = bisect_right(self.starts, pos) - 1
        return self.sentences[i if i > 0 else 0]


def _split_sentences(
    text: str, sentence_end: re.Pattern[str] = lx.SENTENCE_END
) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    pos = 0
    for m in sentence_end.finditer(text):
        start, end = m.span()
        if start > pos:
            out.append((pos, end))
        pos = end
    if pos < len(text) or not out:
        out.append((pos, len(text)))
    return out


def _lower(text: str) -> str:
    """Lowercase without changing any offset (a few letters, like "İ", grow when lowercased)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in "\"'“‘-*>"):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _evidence_span(
    msg: _Msg, start: int, end: int, sentence: tuple[int, int] | None = None
) -> tuple[int, int]:
    """The trimmed sentence of the match at ``start`` (``sentence`` when the caller has it)."""
    s0, s1 = sentence or msg.sentence(start)
    if end > s1:
        s1 = end
    s0, s1 = _trim(msg.text, s0, s1)
    if s1 - s0 <= _MAX_SPAN:
        return s0, s1
    # A long run-on sentence: keep a window around the match, cut at spaces.
    text = msg.text
    lo = max(s0, start - 70)
    hi = min(s1, end + 70)
    if lo > s0:
        space = text.find(" ", lo, start)
        lo = space + 1 if space != -1 else lo
    if hi < s1:
        space = text.rfind(" ", end, hi)
        hi = space if space != -1 else hi
    return _trim(text, lo, hi)


# A content warning the person puts on their own post: "TW: self-harm", "cw sh, cutting".
_WARNING_SELF_HARM = re.compile(
    r"\b(?:tw|cw|trigger\s+warning|content\s+warning)\b[\s:/(-]*(?:[a-z]+[\s,/&]+){0,4}?"
    r"(?:self[\s-]?harm\w*|sh|cutting|burning)\b",
    re.IGNORECASE,
)
_ME_DOING = re.compile(r"me\s+\w+ing\b", re.IGNORECASE)


def _is_first_person_start(fragment: str, rx: lx.Context = lx.PLAIN_CONTEXT) -> bool:
    m = rx.subject.match(fragment)
    return m is not None and m.group("first") is not None


def _third_party(msg: _Msg, start: int, s0: int) -> bool:
    rx = msg.rx
    prefix = msg.text[s0:start]
    reported = bool(msg.mask & lx.REPORTED_BIT)
    if _is_first_person_start(msg.text[start : start + 8], rx) or _ME_DOING.match(msg.text, start):
        # "my roommate walked in on me trying to hang myself": "me" is the one who acts.
        return reported and rx.reported.search(prefix) is not None
    last: str | None = None
    for m in rx.subject_scan.finditer(prefix):
        last = "first" if m.group("first") else "third"
    if last == "third":
        return True
    return last is None and reported and rx.reported.search(prefix) is not None


_QUOTE_CLOSE = {'"': '"', "“": "”", "«": "»"}
_QUOTE_CHARS = frozenset('"“”«»')
_QUOTE_OR_LINE = re.compile('["“”«»\n]')


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """Where quotation marks enclose text: straight quotes pair in order, curly ones open and
    close. An unclosed quote runs to the end of the line."""
    spans: list[tuple[int, int]] = []
    opened: int | None = None
    closer = ""
    for m in _QUOTE_OR_LINE.finditer(text):
        i, ch = m.start(), m.group()
        if ch == "\n":
            if opened is not None:
                spans.append((opened, i))
                opened = None
            continue
        if opened is None:
            if ch in _QUOTE_CLOSE:
                opened, closer = i, _QUOTE_CLOSE[ch]
        elif ch == closer:
            spans.append((opened, i))
            opened = None
    if opened is not None:
        spans.append((opened, len(text)))
    return spans


def _quoted_other(msg: _Msg, start: int) -> bool:
    """Whether the match at ``start`` is inside a quote of someone else's words ("my mom said
    'just get over it'", "she texted me “i want to die”"). A quote the person gives of themself
    ("I told her “I want to die”") stays theirs."""
    text = msg.text
    if msg.quotes is None:
        msg.quotes = [] if _QUOTE_CHARS.isdisjoint(text) else _quote_spans(text)
    for open_at, close_at in msg.quotes:
        if not open_at < start < close_at:
            continue
        prefix = text[max(0, open_at - 60) : open_at]
        if lx.QUOTE_REPORTER.search(prefix) is None:
            after = text[close_at + 1 : close_at + 40]
            return lx.QUOTE_AFTER_OTHER.match(after) is not None
        last: str | None = None
        for m in msg.rx.subject_scan.finditer(prefix):
            last = "first" if m.group("first") else "third"
        return last == "third"
    return False


def _negated(msg: _Msg, start: int, end: int, s0: int, s1: int) -> bool:
    text = msg.text
    mask = msg.mask
    rx = msg.rx
    clause_start = s0
    if mask & lx.CLAUSE_BREAK_BIT:
        for brk in rx.clause_break.finditer(text, s0, start):
            clause_start = brk.end()
    if mask & lx.NEGATORS_BIT and _NEGATED_FILLER.search(text, s0, start):
        return True
    if mask & lx.NEGATORS_BIT:
        m = rx.negators.search(text, clause_start, start)
        if m is not None and not rx.negation_except.match(m.group("rest") or ""):
            return True
    # Kept as it reads, though "^" matches only at the real start of the text, never at ``end``.
    return rx.negation_after.match(text, end, s1) is not None


def _rejected(
    msg: _Msg, hit_start: int, hit_end: int, checks: int, sentence: tuple[int, int] | None = None
) -> str | None:
    """Return why a match does not count as the person's current risk, or None if it does."""
    s0, s1 = sentence or msg.sentence(hit_start)
    text = msg.text
    if checks & lx.HYP and (
        msg.sentence_has(lx.HYP, s0, s1)
        or (msg.mask & lx.QUESTION_FRAME_BIT and msg.rx.question_frame.search(text, s0, hit_start))
    ):
        return "hypothetical"
    if checks & lx.JOKE and msg.sentence_has(lx.JOKE, s0, s1):
        return "joke"
    if checks & lx.LYRIC and msg.sentence_has(lx.LYRIC, s0, s1):
        return "lyric"
    if checks & lx.THIRD and (_third_party(msg, hit_start, s0) or _quoted_other(msg, hit_start)):
        return "third"
    if checks & lx.NEG and _negated(msg, hit_start, hit_end, s0, s1):
        return "negated"
    if checks & lx.PAST and msg.sentence_has(lx.PAST, s0, s1):
        return "past"
    return None


# Which means an attempt or a short answer names, first match wins: "the car is running in the
# garage" is poison (exhaust), not heights.
_ACT_WORDS: tuple[tuple[str, MeansKind], ...] = (
    (r"\b(?:pills?|meds|medications?|tablets|\d+\s*mg|overdos\w*|od)\b|💊", "medication"),
    (
        r"\b(?:bleach|antifreeze|poison|cleaner|lye|pesticide|car|engine|exhaust|gas)\b",
        "poison",
    ),
    (r"\b(?:guns?|shot|shotgun|pistol|rifle|barrel|firearms?|weapons?)\b", "firearm"),
    (r"\b(?:hung|hang|rope|noose|belt|cord)\b", "hanging"),
    (r"\b(?:cut|slit|stabbed|bleeding|blood|razor|knife|blade)\b", "cutting"),
    (r"\b(?:tracks|train|traffic)\b", "vehicle"),
    (
        r"\b(?:jump\w*|bridge|roof\w*|ledge|edge|railing|cliff|balcony|overpass|floor|garage)\b",
        "heights",
    ),
    (r"\bdrown\w*\b", "other"),
)
_ACT_KIND: tuple[tuple[re.Pattern[str], MeansKind], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), kind) for pattern, kind in _ACT_WORDS
)


@overload
def _act_kind(fragment: str) -> MeansKind: ...
@overload
def _act_kind(fragment: str, default: None) -> MeansKind | None: ...
def _act_kind(fragment: str, default: MeansKind | None = "medication") -> MeansKind | None:
    for pattern, kind in _ACT_KIND:
        if pattern.search(fragment):
            return kind
    return default


# The trigger bits of each whitespace-free chunk seen so far. No literal holds whitespace, so a
# message's bits are the union of its chunks' bits; chats reuse their words, so most chunks are
# found here instead of being read by the trigger regex. Bounded (short chunks only, emptied when
# full: a few MB at most); it holds only what the text holds, so it never changes a result.
_CHUNK_MASKS: dict[str, int] = {}
_CHUNK_CACHE_SIZE = 20_000
_CHUNK_CACHE_LEN = 40


def _chunk_mask(chunk: str) -> int:
    mask = 0
    masks = lx.TRIGGER_MASK
    search = lx.TRIGGER.search
    m = search(chunk)
    while m is not None:
        mask |= masks[m.group()]
        m = search(chunk, m.start() + 1)
    if len(chunk) <= _CHUNK_CACHE_LEN:
        if len(_CHUNK_MASKS) >= _CHUNK_CACHE_SIZE:
            _CHUNK_MASKS.clear()
        _CHUNK_MASKS[chunk] = mask
    return mask


def _trigger_mask(low: str) -> int:
    """The bits of the required-literal sets that ``low`` (lowercased text) holds a string of."""
    mask = 0
    cached = _CHUNK_MASKS.get
    for chunk in low.split():
        bits = cached(chunk)
        mask |= _chunk_mask(chunk) if bits is None else bits
    return mask


def _runnable(found: int) -> int:
    """The rules, helpers and cues that can match where the trigger pass found ``found``: every
    set the pattern requires is there, and every set of one of its alternatives. The sets sit in
    lanes (lexicon._lanes), so this is a few operations on whole ints for all patterns at once."""
    slots = found | lx.SLOTS_FILLED
    # Each lane ANDed with the next ones of its group: a group's first lane says "all there".
    every = slots
    for k in range(1, lx.CLAUSES):
        every &= slots >> (k * lx.LANE)
    # The alternatives' first lanes ORed into one: "one of them all there".
    alternatives = (every >> lx.BLOCK) & lx.ALTERNATIVE_LANES
    for shift in lx.FOLD_SHIFTS:
        alternatives |= alternatives >> shift
    return every & alternatives & lx.PATTERN_BITS


# Messages at least this long are prefiltered segment by segment.
_SEGMENT_FROM = 400
_SEGMENT_END = re.compile(r"[.!?]+(?=\s)")


def _cuts(low: str, offset: int) -> list[int]:
    """Where to cut a long message: after each run of sentence end marks followed by whitespace,
    at least every 200 characters apart (fewer, longer segments cost fewer regex calls)."""
    out: list[int] = []
    last = 0
    for m in _SEGMENT_END.finditer(low):
        if m.end() - last >= 200:
            out.append(offset + m.end())
            last = m.end()
    return out


class _Reader:
    """One summarize() call's working state."""

    def __init__(self, transcript: Sequence[TranscriptLine], *, prefilter: bool = True) -> None:
        self.transcript = transcript
        self.msgs: dict[int, _Msg] = {
            i: _Msg(i, line.text) for i, line in enumerate(transcript) if line.role == "user"
        }
        self.hits: list[_Hit] = []
        self.third: list[_Hit] = []
        self.prefilter = prefilter
        self.rule_runs = 0  # rule regex passes, for the tests that bound the work done
        # Each span's Evidence, built once: the same span backs several indicators and quotes.
        self.evidence: dict[tuple[int, int, int], Evidence] = {}

    # -- pass 1: every rule over the joined user text, on the messages it can match --------------
    def scan(self) -> None:
        order = list(self.msgs)
        offsets: list[int] = []
        parts: list[str] = []
        pos = 0
        for i in order:
            offsets.append(pos)
            parts.append(self.msgs[i].text)
            pos += len(self.msgs[i].text) + len(_SEP)
        big = _lower(_SEP.join(parts))
        if not self.prefilter:
            for rule, fast in lx.FAST_RULES:
                self.rule_runs += 1
                for m in fast.finditer(big):
                    k = bisect_right(offsets, m.start()) - 1
                    msg = self.msgs[order[k]]
                    start = m.start() - offsets[k]
                    end = m.end() - offsets[k]
                    if end > len(msg.text):
                        continue
                    self._consider(rule, msg, start, end)
            return
        # Which messages each rule can match, from one trigger pass per message. A rule then runs
        # over each such message alone, separator included (pos/endpos on the same joined text):
        # no pattern can cross the separator, so it finds exactly the matches the pass over the
        # whole text found there, in the same order (rules first, then messages).
        # A long message (a forum post of a thousand words) is cut into segments after each
        # sentence's end mark, and a rule runs only over the segments that hold its literals. No
        # rule can match across such a cut: none consumes a "." "!" or "?" except inside a
        # literal ("a.m.", "o.d.") that no whitespace follows, and a cut is made only before
        # whitespace. So the matches are the same, in the same order.
        per_rule: list[list[tuple[int, int, int]]] = [[] for _ in lx.FAST_RULES]
        # An ASCII-safe message is read with the ASCII forms of the rules and context patterns.
        ascii_safe: list[bool] = []
        for k, i in enumerate(order):
            msg = self.msgs[i]
            start = offsets[k]
            low = big[start : start + len(msg.text)]
            ascii_safe.append(lx.NOT_ASCII_SAFE.search(msg.text) is None)
            msg.rx = lx.ASCII_CONTEXT if ascii_safe[k] else lx.FAST_CONTEXT
            odd = not msg.text.isascii() and not lx.CASEFOLD_ODD.isdisjoint(msg.text)
            if len(low) < _SEGMENT_FROM:
                found = _trigger_mask(low)
                mask = _runnable(found)
                segments = [(start, start + len(low) + len(_SEP), mask)]
            else:
                found = 0
                segments = []
                cut = start
                for end in [*_cuts(low, start), start + len(low) + len(_SEP)]:
                    seg = _trigger_mask(big[cut:end])
                    found |= seg
                    segments.append((cut, end, _runnable(seg)))
                    cut = end
                mask = _runnable(found)
            if odd:
                mask |= lx.HELPER_BITS | lx.CUE_BITS
            msg.mask = mask
            msg.fast = True
            for seg_start, seg_end, seg_mask in segments:
                rules = (mask if odd else seg_mask) & lx.RULE_BITS
                while rules:
                    bit = rules & -rules
                    per_rule[bit.bit_length() - 1].append((k, seg_start, seg_end))
                    rules ^= bit
        for (rule, fast), ascii_fast, windows in zip(
            lx.FAST_RULES, lx.ASCII_RULES, per_rule, strict=True
        ):
            for k, seg_start, seg_end in windows:
                msg = self.msgs[order[k]]
                start0 = offsets[k]
                self.rule_runs += 1
                pattern = ascii_fast if ascii_safe[k] else fast
                for m in pattern.finditer(big, seg_start, seg_end):
                    end = m.end() - start0
                    if end > len(msg.text):
                        continue
                    self._consider(rule, msg, m.start() - start0, end)

    def _consider(self, rule: lx.Rule, msg: _Msg, start: int, end: int) -> None:
        checks = rule.checks | (lx.PAST if rule.kind == "means" else 0)
        sentence = msg.sentence(start)
        why = _rejected(msg, start, end, checks, sentence)
        # The evidence span is cut only for a match that is kept.
        hit = _Hit(rule.kind, rule.code, msg.index, start, end, (0, 0), rule.strong, rule.code)
        if rule.kind == "means":
            s0, s1 = sentence
            if (
                msg.sentence_has(_NO_ACCESS, s0, s1)
                if msg.fast
                else msg.rx.no_access.search(msg.text, s0, s1)
            ):
                # "I don't have a gun" is negated, but the absence of access is itself a finding.
                if why in (None, "negated"):
                    hit.access = False
                    hit.span = _evidence_span(msg, start, end, sentence)
                    self.hits.append(hit)
                return
            if (
                rule.code == "medication"
                and msg.mask & lx.ON_MEDS_BIT
                and msg.rx.on_meds.search(msg.text, s0, start)
            ):
                return  # "I'm on antidepressants": treatment, not a method
            if (
                msg.sentence_has(_POSSESSION, s0, s1)
                if msg.fast
                else msg.rx.possession.search(msg.text, s0, s1)
            ):
                hit.access = True
                if why == "third":
                    why = None  # "my dad keeps a gun in his closet": access in the household
        if why == "third" and (
            rule.kind == "attempt"
            or rule.code in ("suicidal_ideation", "expressed_intent", "plan", "self_harm")
        ):
            hit.kind, hit.code, hit.label = "third_party", "third_party", "someone else at risk"
            hit.span = _evidence_span(msg, start, end, sentence)
            self.third.append(hit)
            return
        if (
            why is None
            and rule.kind == "risk_to_others"
            and _IN_MATCH_NEGATION.search(msg.text, start, end)
        ):
            why = "negated"  # "I would never hurt her"
        if why is None and (
            rule.code in _OWN_WORDS
            or (
                rule.code == "suicidal_ideation"
                and _BARE_WORD.fullmatch(msg.text, start, end) is not None
            )
        ):
            s0, s1 = sentence
            if (
                lx.FIRST_PERSON.search(msg.text, s0, s1) is None
                and not _OWN_SAYING.match(msg.text, start, end)
                and not _dropped_subject(msg.text, s0, start, end)
            ):
                why = "not theirs"  # "- giving away belongings" in a list of warning signs
            elif rule.code == "preparatory_behaviour" and (
                lx.GRIEF.search(msg.text, s0, s1)
                or (
                    _LETTERS.search(msg.text, start, end)
                    and lx.GRIEF.search(msg.text)
                    and not _GOODBYE.search(msg.text, start, end)
                )
            ):
                why = "grief"  # "I wrote a letter to my dad who passed", letters after a death
        if why is not None:
            return
        if rule.kind == "timeframe":
            hit.near = rule.code == "near"
            hit.label = msg.text[start:end].lower()
        hit.span = _evidence_span(msg, start, end, sentence)
        self.hits.append(hit)

    # -- pass 2: short answers to the counselor's direct questions --------------------------------
    def answers(self) -> None:
        for i, msg in self.msgs.items():
            if i == 0 or self.transcript[i - 1].role != "assistant":
                continue
            question = self.transcript[i - 1].text
            age = msg.rx.age_answer.match(msg.text)
            if age is not None and lx.AGE_QUESTION.search(question):
                span = _evidence_span(msg, age.start(), age.end())
                self.hits.append(_Hit("minor", "age", i, age.start(), age.end(), span, label="age"))
            m = msg.rx.affirmative.match(msg.text)
            if m is None:
                continue
            span = _evidence_span(msg, m.start(), m.end())
            for code, pattern in lx.QUESTION_TOPICS:
                q = pattern.search(question)
                if q is None:
                    continue
                label = f"answered yes to: {code.replace('_', ' ')}"
                if code == "attempt_in_progress":
                    hit = _Hit("attempt", "answer", i, m.start(), m.end(), span, label=label)
                    hit.near = True
                    self.hits.append(hit)
                elif code == "access_to_means":
                    kind = _act_kind(msg.text, None) or _act_kind(question[q.start() : q.end()])
                    hit = _Hit("means", kind, i, m.start(), m.end(), span, False, label)
                    hit.access = True
                    self.hits.append(hit)
                else:
                    self.hits.append(_Hit("indicator", code, i, m.start(), m.end(), span))


_RISK_CODES = frozenset(
    {
        "suicidal_ideation",
        "expressed_intent",
        "plan",
        "preparatory_behaviour",
        "rehearsal",
        "prior_attempt",
        "self_harm",
    }
)
_DESIRE = frozenset(c for c, d in lx.DOMAIN.items() if d == "desire")
# "I would never hurt her": a negation inside a risk-to-others match.
_IN_MATCH_NEGATION = re.compile(r"\b(?:never|not|no|dont|wont|cant)\b|n['’`]t\b", re.IGNORECASE)
# "This is goodbye" is the person's own saying without a first-person word.
_OWN_SAYING = re.compile(
    r"this\s+is\s+|just\s+wanted\s+to\s+say|wanted\s+to\s+say|(?:suicide\s+|an\s+)?attempt\s+"
    r"survivor\s+here\b",
    re.I,
)
# "Cut again last night.", "Attempted three years ago.": a sentence that opens on a past-tense
# verb has dropped its subject, which in a person's own post is "I". A list of warning signs is
# written in nouns and "-ing" forms ("- giving away belongings"), so those stay general.
_PAST_VERB = re.compile(
    r"(?:\w+ed|cut|burnt|sh['’`]d|tried|hit|took|swallowed|stood|sat|drove|wrote|gave|tied|"
    r"threw|put|od['’`]?d)\b",
    re.IGNORECASE,
)
_SENTENCE_OPENING = re.compile(r"[\W_]*", re.UNICODE)


def _dropped_subject(text: str, s0: int, start: int, end: int) -> bool:
    """Whether the match opens its sentence on a past-tense verb (nothing but punctuation,
    emoji or a list mark before it)."""
    opening = _SENTENCE_OPENING.match(text, s0, start)
    return (
        opening is not None
        and opening.end() == start
        and _PAST_VERB.match(text, start, end) is not None
    )


# A weak method word in a long message counts only this close to the risk said there.
_RISK_REACH = 250
# "Suicide" or "suicidal" alone counts only in a sentence of the person's own ("suicidal crises
# are often short" is general talk).
_BARE_WORD = re.compile(r"su[i1!]?c[i1!]?d(?:e|al)", re.IGNORECASE)
# "I'm not like, thinking about ending it": a filler word and a comma do not end the negation.
_NEGATED_FILLER = re.compile(
    r"\b(?:not|never|n['’`]t)\s+(?:like|really|even|actually|exactly)\s*,\s*(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
_LETTERS = re.compile(r"\b(?:letters?|notes?)\b", re.IGNORECASE)
_GOODBYE = re.compile(r"\b(?:goodbye|suicide|last|final)\b", re.IGNORECASE)
# Indicators that count only in a sentence with a first-person word in it.
_HISTORY = frozenset({"prior_attempt", "self_harm"})
_OWN_WORDS = frozenset({"self_harm", "preparatory_behaviour", "prior_attempt", "rehearsal"})


@dataclass(slots=True)
class _Result:
    indicators: dict[str, list[_Hit]] = field(default_factory=dict)
    means: dict[str, list[_Hit]] = field(default_factory=dict)
    timeframe: list[_Hit] = field(default_factory=list)
    in_progress: list[_Hit] = field(default_factory=list)
    places: list[_Hit] = field(default_factory=list)
    substances: list[_Hit] = field(default_factory=list)
    risk_to_others: list[_Hit] = field(default_factory=list)
    minor: list[_Hit] = field(default_factory=list)
    third: list[_Hit] = field(default_factory=list)
    # Self-harm said as recent or escalating ("again last night", "deeper", "for months").
    self_harm_recent: list[_Hit] = field(default_factory=list)
    # An attempt within about the last two months; and how long ago, as the text says it.
    attempt_recent: list[_Hit] = field(default_factory=list)
    attempt_when: str | None = None

    def add(self, code: str, hit: _Hit) -> None:
        self.indicators.setdefault(code, []).append(hit)


def _resolve(reader: _Reader) -> _Result:
    """Pass 3: keep weak matches only near risk, split attempts into history and now."""
    hits = reader.hits
    own_risk = any(_own_risk(reader, h) for h in hits)
    if not own_risk:
        # Only "I'm going to do it" with nothing of their own about dying, hurting themselves,
        # despair or a death near them: "it" is something else ("ok. i'm gonna do it. i asked
        # her").
        hits = [h for h in hits if not _anaphoric(reader, h)]
    res = _Result(third=list(reader.third))
    risk_msgs: set[int] = set()
    intent_msgs: set[int] = set()
    # Where in each message risk is said, for weak words in long messages. A history (an
    # attempt years ago, old scars) names no method now: "I take my meds" after it is treatment.
    risk_at: dict[int, list[int]] = {}
    for h in hits:
        if (
            (
                h.kind == "indicator"
                and h.code in _RISK_CODES
                and h.code not in _HISTORY
                and h.strong
            )
            or (h.kind == "means" and h.strong and h.access is not False)
            or (
                h.kind == "attempt"
                and h.code not in ("state", "location")
                and not _told_as_past(reader.msgs[h.message], h)
            )
        ):
            risk_at.setdefault(h.message, []).append(h.start)
        attempt_now = (
            h.kind == "attempt"
            and h.code not in ("state", "location")
            and not _told_as_past(reader.msgs[h.message], h)
        )
        if (
            (h.kind == "indicator" and h.code in _RISK_CODES and h.strong)
            or (h.kind == "means" and h.strong and h.access is not False)
            or attempt_now
        ):
            risk_msgs.add(h.message)
        if (h.kind == "indicator" and h.code in ("expressed_intent", "plan")) or attempt_now:
            intent_msgs.add(h.message)
    anaphora = {
        i: [m for m in msg.rx.anaphora.finditer(msg.text) if not _advice(msg, m.start())]
        for i, msg in reader.msgs.items()
        if own_risk and msg.mask & lx.ANAPHORA_BIT
    }
    for i, found in anaphora.items():
        if found:
            risk_msgs.add(i)
            risk_at.setdefault(i, []).extend(m.start() for m in found)
    transcript_risk = bool(risk_msgs) or any(
        h.kind == "indicator" and h.code in _DESIRE for h in hits
    )
    # Risk spread over messages: a weak word ("the bridge", "tonight") counts when risk was said
    # within two of the person's messages either side.
    order = list(reader.msgs)
    position = {m: k for k, m in enumerate(order)}
    risk_positions = sorted(position[m] for m in risk_msgs)
    intent_positions = sorted(position[m] for m in intent_msgs)

    def near(message: int, positions: list[int], reach: int = 2) -> bool:
        k = position[message]
        j = bisect_right(positions, k + reach) - 1
        return j >= 0 and positions[j] >= k - reach

    # Sentences that hold intent, a plan, an attempt or a strong method: weak time words ("now",
    # "today") count only there.
    intent_sentences: set[tuple[int, tuple[int, int]]] = set()
    for h in hits:
        if (h.kind == "indicator" and h.code in ("expressed_intent", "plan")) or (
            h.kind in ("attempt", "means") and h.strong
        ):
            intent_sentences.add((h.message, reader.msgs[h.message].sentence(h.start)))
    for i, found in anaphora.items():
        msg = reader.msgs[i]
        for m in found:
            intent_sentences.add((i, msg.sentence(m.start())))

    # Sentences about getting help or plans ahead: a time there is not a time to act.
    help_sentences = {
        (h.message, reader.msgs[h.message].sentence(h.start))
        for h in hits
        if h.kind == "indicator" and h.code in ("engaged_with_help", "future_plans")
    }
    own_self_harm = any(h.kind == "indicator" and h.code == "self_harm" and h.strong for h in hits)
    if not own_self_harm and any(h.code == "self_harm" and not h.strong for h in hits):
        # "TW: self-harm" over the person's own post names what their "relapsed" is about.
        own_self_harm = any(_WARNING_SELF_HARM.search(m.text) for m in reader.msgs.values())
    for h in hits:
        msg = reader.msgs[h.message]
        if h.kind == "indicator":
            if not h.strong and not (own_self_harm if h.code == "self_harm" else transcript_risk):
                continue  # "relapsed" alone, "bought a rope" alone
            if (
                h.code == "substance_use"
                and own_self_harm
                and msg.text[h.start : h.end].lower() == "relapsed"
            ):
                continue  # a relapse into self-harm, not into drinking
            res.add(h.code, h)
        elif h.kind == "attempt":
            _resolve_attempt(h, msg, res, transcript_risk)
        elif h.kind == "means":
            if h.access is False:
                if transcript_risk:
                    res.means.setdefault(h.code, []).append(h)
                continue
            # A weak word names the method when risk is in its message, or intent is near, or
            # (without a possession) risk is near. "My dad keeps a gun" after "I want to die"
            # is access; after "I'm going to do it" it is the method too.
            if h.label.startswith("answered"):
                res.means.setdefault(h.code, []).append(h)
                res.add("access_to_means", h)
                continue
            asked = h.message > 0 and (
                reader.transcript[h.message - 1].role == "assistant"
                and lx.QUESTION_TOPICS_BY_CODE["access_to_means"].search(
                    reader.transcript[h.message - 1].text
                )
                is not None
            )
            close = any(abs(p - h.start) <= _RISK_REACH for p in risk_at.get(h.message, ()))
            if (
                h.strong
                or close
                or near(h.message, intent_positions)
                or (not asked and len(msg.text) <= _RISK_REACH and near(h.message, risk_positions))
            ):
                res.means.setdefault(h.code, []).append(h)
                res.add("method_stated", h)
                if h.access:
                    res.add("access_to_means", h)
            elif h.access and transcript_risk:
                res.means.setdefault(h.code, []).append(h)
                res.add("access_to_means", h)
        elif h.kind == "timeframe":
            if (h.message, msg.sentence(h.start)) in help_sentences:
                continue  # "I'll email my therapist tonight"
            if h.code == "weak":
                if (h.message, msg.sentence(h.start)) in intent_sentences:
                    res.timeframe.append(h)
                    h.near = True
            elif (
                h.message in risk_msgs
                or (
                    near(h.message, risk_positions)
                    and len(msg.text[slice(*msg.sentence(h.start))].split())
                    <= lx.TIMING_ANSWER_WORDS
                )
            ) or (
                transcript_risk
                and h.message > 0
                and reader.transcript[h.message - 1].role == "assistant"
                and lx.QUESTION_TIMING.search(reader.transcript[h.message - 1].text)
            ):
                res.timeframe.append(h)
        elif h.kind == "risk_to_others":
            res.risk_to_others.append(h)
        elif h.kind == "minor":
            res.minor.append(h)
        elif h.kind == "third_party":
            res.third.append(h)
    if res.timeframe:
        for h in res.timeframe:
            res.add("timeframe", h)
    # Intent, a plan or an attempt in progress is also thinking about suicide: the desire domain
    # must not read empty when the person says "I'm doing it tonight".
    for code in ("expressed_intent", "plan", "attempt_in_progress", "method_stated", "rehearsal"):
        for h in res.indicators.get(code, []):
            res.add("suicidal_ideation", h)
    # "I don't want to die" is ambivalence only where there is something to be ambivalent about.
    if "ambivalence" in res.indicators and not any(c in _DESIRE for c in res.indicators):
        del res.indicators["ambivalence"]
    _places_and_substances(reader, res, risk_msgs, transcript_risk)
    _recency(reader, res)
    return res


_ANAPHORIC = re.compile(r"\b(?:do|doing|go\s+through\s+with)\s+it\b", re.IGNORECASE)


def _anaphoric(reader: _Reader, h: _Hit) -> bool:
    """An intent whose only object is "it" ("I'm going to do it")."""
    return (
        h.kind == "indicator"
        and h.code == "expressed_intent"
        and _ANAPHORIC.search(reader.msgs[h.message].text, h.start, h.end) is not None
    )


def _own_risk(reader: _Reader, h: _Hit) -> bool:
    """A hit that says something of the person's own risk besides an anaphoric intent."""
    if h.kind == "indicator":
        own = h.strong and (
            h.code in _RISK_CODES or h.code in _DESIRE or h.code == "exposure_to_death"
        )
        return own and not _anaphoric(reader, h)
    return h.kind == "attempt" or (h.kind == "means" and h.strong)


def _advice(msg: _Msg, start: int) -> bool:
    """Whether "do it" at ``start`` is advice to someone else ("please don't do it")."""
    s0, _s1 = msg.sentence(start)
    return lx.ANAPHORA_ADVICE.search(msg.text, max(s0, start - 40), start) is not None


def _window(msg: _Msg, pos: int) -> tuple[int, int]:
    """The sentence at ``pos`` and the next one: "I cut in high school. It's been 6 years." """
    s0, s1 = msg.sentence(pos)
    if s1 < len(msg.text):
        s1 = max(s1, msg.sentence(s1)[1])
    return s0, s1


def _recency(reader: _Reader, res: _Result) -> None:
    """Mark self-harm that is recent or ongoing, and attempts within about two months."""
    for h in res.indicators.get("self_harm", []):
        if h.kind != "indicator":
            continue
        msg = reader.msgs[h.message]
        w0, w1 = _window(msg, h.start)
        if lx.SELF_HARM_RECENT.search(msg.text, w0, w1):
            res.self_harm_recent.append(h)  # "clean for 2 years. Last night I relapsed."
        elif h.strong and (
            lx.SELF_HARM_DISTANT.search(msg.text, w0, w1) is None
            and not lx.PAST_MARKERS.search(msg.text, *msg.sentence(h.start))
            and "scar" not in msg.text[h.start : h.end].lower()  # scars are a history
        ):
            res.self_harm_recent.append(h)  # said as now, with no time: ongoing
    recent_label: str | None = None
    for h in res.indicators.get("prior_attempt", []):
        msg = reader.msgs[h.message]
        w0, w1 = _window(msg, h.start)
        m = lx.ATTEMPT_WHEN.search(msg.text, w0, w1)
        if m is None:
            continue
        label = " ".join(m.group().lower().split())
        if res.attempt_when is None:
            res.attempt_when = label
        if lx.ATTEMPT_RECENT.match(label):
            res.attempt_recent.append(h)
            recent_label = recent_label or label
    if recent_label:
        res.attempt_when = recent_label


def _told_as_past(msg: _Msg, h: _Hit) -> bool:
    """Whether an act or a try is told as history: a past marker in its sentence ("years ago",
    "the night I swallowed everything"), a time ago without a present one ("last night"), or an
    aftermath later in the message ("I woke up in the ICU")."""
    s0, s1 = msg.sentence(h.start)
    text = msg.text
    if msg.sentence_has(lx.PAST, s0, s1) if msg.fast else msg.rx.past.search(text, s0, s1):
        return True
    if h.code not in ("act", "tried"):
        return False
    present = bool(msg.mask & lx.PRESENT_MARKERS_BIT) and (
        msg.rx.present.search(text, s0, s1) is not None
    )
    when = lx.ATTEMPT_WHEN.search(text, s0, s1)
    return (when is not None and not present) or lx.AFTERMATH.search(text, h.end) is not None


def _resolve_attempt(h: _Hit, msg: _Msg, res: _Result, transcript_risk: bool) -> None:
    s0, s1 = msg.sentence(h.start)
    text = msg.text
    past = _told_as_past(msg, h)
    present = bool(msg.mask & lx.PRESENT_MARKERS_BIT) and (
        msg.rx.present.search(text, s0, s1) is not None
    )
    if h.code == "answer":
        now = True
    elif h.code == "act":
        now = not past or (present and not past)
    elif h.code == "tried":
        now = present and not past
    elif h.code == "danger":
        now = True
    else:  # "state" and "location" read as now, but only when the conversation is about risk
        if not transcript_risk:
            return
        now = True
    if now:
        h.label = h.label if h.code == "answer" else "attempt in progress"
        res.in_progress.append(h)
        res.add("attempt_in_progress", h)
        if h.code != "answer":
            # A location or a state names its means in the rest of the sentence ("I'm at the top
            # of the parking garage").
            whole = h.code in ("location", "danger", "state")
            kind = _act_kind(text[s0:s1] if whole else text[h.start : h.end])
            res.means.setdefault(kind, []).append(h)
            res.add("method_stated", h)
            if h.code in ("location", "danger") and kind not in ("cutting", "medication"):
                h.access = True  # at the bridge, the rope on the neck: the means is at hand
                res.add("access_to_means", h)
    else:
        res.add("prior_attempt", h)


def _places_and_substances(
    reader: _Reader, res: _Result, risk_msgs: set[int], transcript_risk: bool
) -> None:
    use_msgs = {h.message for h in res.indicators.get("substance_use", [])}
    med_msgs = {h.message for h in res.means.get("medication", [])}
    for i, msg in reader.msgs.items():
        text = msg.text
        # A place counts in a message with risk, or in a sentence with a place cue: a message
        # with neither is not searched (a long post of ordinary talk names many places).
        if (
            transcript_risk
            and msg.mask & lx.PLACES_BIT
            and (i in risk_msgs or msg.mask & lx.PLACE_CUE_BIT)
        ):
            for m in msg.rx.places.finditer(text):
                s0, s1 = msg.sentence(m.start())
                if i not in risk_msgs and not (
                    msg.mask & lx.PLACE_CUE_BIT and msg.rx.place_cue.search(text, s0, s1)
                ):
                    continue
                if _rejected(msg, m.start(), m.end(), lx.NEG | lx.HYP | lx.THIRD | lx.JOKE):
                    continue
                group = m.lastgroup or ""
                res.places.append(
                    _Hit(
                        "place",
                        group,
                        i,
                        m.start(),
                        m.end(),
                        _evidence_span(msg, m.start(), m.end()),
                        label=lx.PLACE_LABEL.get(group, group),
                    )
                )
        if not msg.mask & lx.SUBSTANCES_BIT:
            continue
        if i in use_msgs or i in med_msgs or (transcript_risk and i in risk_msgs):
            for m in msg.rx.substances.finditer(text):
                group = m.lastgroup or ""
                if group == "high" and i not in use_msgs:
                    continue
                if _rejected(msg, m.start(), m.end(), lx.NEG | lx.HYP | lx.THIRD | lx.LYRIC):
                    continue
                res.substances.append(
                    _Hit(
                        "substance",
                        group,
                        i,
                        m.start(),
                        m.end(),
                        _evidence_span(msg, m.start(), m.end()),
                        label=lx.SUBSTANCE_LABEL.get(group, group),
                    )
                )


# ---- output ------------------------------------------------------------------------------------


def _ev(reader: _Reader, h: _Hit) -> Evidence:
    key = (h.message, *h.span)
    ev = reader.evidence.get(key)
    if ev is None:
        s, e = h.span
        text = reader.msgs[h.message].text[s:e]
        ev = reader.evidence[key] = Evidence(message=h.message, start=s, end=e, text=text)
    return ev


def _evs(reader: _Reader, hits: Iterable[_Hit]) -> list[Evidence]:
    seen: dict[tuple[int, int, int], Evidence] = {}
    for h in hits:
        key = (h.message, *h.span)
        if key not in seen:
            seen[key] = _ev(reader, h)
    return [seen[k] for k in sorted(seen)]


def _findings(reader: _Reader, hits: list[_Hit]) -> list[Finding]:
    by_label: dict[str, list[_Hit]] = {}
    for h in sorted(hits, key=lambda h: (h.message, h.start)):
        by_label.setdefault(h.label, []).append(h)
    return [Finding(label=label, evidence=_evs(reader, hs)) for label, hs in by_label.items()]


def _suggest(res: _Result) -> tuple[Tier, list[str]]:
    has = res.indicators.__contains__
    methods = [k for k, hs in res.means.items() if any(h.access is not False for h in hs)]
    access = [k for k, hs in res.means.items() if any(h.access for h in hs)]
    near = any(h.near for h in res.timeframe)
    # Saving up pills is a preparation and access at once: for imminent, a preparation must be
    # something besides the means ("this is goodbye", a note).
    means_spans = {(h.message, h.span) for hs in res.means.values() for h in hs if h.access}
    prep_now = any(
        (h.message, h.span) not in means_spans
        for h in res.indicators.get("preparatory_behaviour", [])
    )
    intent = has("expressed_intent") or has("plan") or prep_now
    if res.in_progress:
        return "imminent", ["An attempt appears to be in progress"]
    if intent and (methods or access) and (near or access):
        why = "States intent or a plan" + (f", names a method ({', '.join(methods)})")
        why += ", has access" if access else ""
        why += ", and gives a near timeframe" if near else ""
        return "imminent", [why]
    reasons: list[str] = []
    if has("expressed_intent"):
        reasons.append("States intent to act")
    if has("plan"):
        reasons.append("Has a plan")
    if has("preparatory_behaviour"):
        reasons.append("Preparations (goodbyes, note, giving things away)")
    if methods and has("method_stated"):
        reasons.append(f"Names a method ({', '.join(methods)})")
    if has("rehearsal"):
        reasons.append("Rehearsal or researching a method")
    if res.risk_to_others:
        reasons.append("Talks of harming someone else")
    si = has("suicidal_ideation")
    desire = [c for c in res.indicators if c in _DESIRE]
    if res.attempt_recent:
        reasons.append(f"Suicide attempt {res.attempt_when or 'recently'}")
    if has("prior_attempt") and desire:
        reasons.append(
            "Previous attempt and current thoughts of suicide"
            if si
            else "Previous attempt and current distress: " + ", ".join(sorted(desire))
        )
    if res.self_harm_recent:
        reasons.append("Recent or ongoing self-harm")
    if si and near:
        reasons.append("Thoughts of suicide with a near timeframe")
    if si and access:
        reasons.append(f"Thoughts of suicide and access to means ({', '.join(access)})")
    if reasons:
        return "high", reasons
    if si:
        return "moderate", ["Thoughts of suicide, without a plan, method or intent"]
    if has("self_harm") and desire:
        return "moderate", ["Self-harm in the past, and current distress"]
    if has("prior_attempt"):
        return "moderate", ["Previous suicide attempt"]
    if len(desire) >= 2:
        return "moderate", ["Several signs of distress: " + ", ".join(sorted(desire))]
    if desire:
        return "low", ["One sign of distress, no thoughts of suicide found: " + desire[0]]
    if has("self_harm"):
        return "low", ["Self-harm in the past only"]
    return "low", ["No risk language found by the rules"]


def _fragment(text: str) -> str | None:
    """A short verbatim piece for the headline, or None if it would show contact details."""
    if lx.SENSITIVE.search(text):
        return None
    text = " ".join(text.split())
    if len(text) <= _FRAGMENT:
        return text
    cut = text.rfind(" ", 0, _FRAGMENT - 1)
    return text[: cut if cut > 10 else _FRAGMENT - 1] + "…"


_TIER_WORD: dict[str, str] = {
    "imminent": "IMMINENT",
    "high": "High",
    "moderate": "Moderate",
    "low": "Low",
}


def _join_within(head: str, parts: Iterable[str], limit: int, sep: str) -> str:
    out = head
    first = True
    for part in parts:
        candidate = out + ("" if first else sep) + part
        if len(candidate) <= limit:
            out = candidate
            first = False
    return out


def _quoted(label: str, hits: list[_Hit], reader: _Reader) -> str:
    for h in hits:
        frag = _fragment(_ev(reader, h).text)
        if frag:
            return f"{label} “{frag}”"
    return label


def _headline(tier: Tier, res: _Result, reader: _Reader) -> str:
    ind = res.indicators
    parts: list[str] = []
    quoted = False
    if res.in_progress:
        parts.append(_quoted("attempt in progress", res.in_progress, reader))
        quoted = True
    elif "expressed_intent" in ind:
        parts.append(_quoted("intent", ind["expressed_intent"], reader))
        quoted = True
    if "plan" in ind:
        parts.append("plan")
    if res.means:
        kinds = [
            k + (" (has access)" if any(h.access for h in hs) else "")
            for k, hs in res.means.items()
            if any(h.access is not False for h in hs)
        ]
        if kinds:
            parts.append("means: " + ", ".join(kinds))
    if res.timeframe:
        labels = [h.label for h in res.timeframe if h.near] or [h.label for h in res.timeframe]
        if not lx.SENSITIVE.search(labels[0]):
            parts.append("when: " + labels[0])
    if res.risk_to_others:
        parts.append("risk to others")
    if "prior_attempt" in ind:
        when = res.attempt_when
        parts.append(f"prior attempt ({when})" if when else "prior attempt")
    if "self_harm" in ind:
        parts.append("self-harm, recent" if res.self_harm_recent else "self-harm history")
    if not quoted and "suicidal_ideation" in ind:
        parts.append(_quoted("suicidal thoughts", ind["suicidal_ideation"], reader))
    if res.minor:
        parts.append("possible minor")
    if "substance_use" in ind:
        parts.append("drinking/using now")
    if res.third:
        parts.append("worried about someone else")
    if not parts:
        desire = [lx.LABEL[c].lower() for c in ind if c in _DESIRE]
        parts.append(desire[0] if desire else "no risk language found")
    return _join_within(f"{_TIER_WORD[tier]}: ", parts, 160, "; ")


_CAD_MEANS: dict[str, str] = {
    "firearm": "FIREARM",
    "medication": "PILLS/OVERDOSE",
    "heights": "JUMP FROM HEIGHT",
    "vehicle": "VEHICLE/TRAIN",
    "cutting": "CUTTING",
    "hanging": "HANGING",
    "poison": "POISON/GAS",
    "other": "OTHER METHOD",
}


def _cad_line(tier: Tier, res: _Result) -> str:
    ind = res.indicators
    head = f"CRISIS CHAT {tier.upper()} SUICIDE RISK"
    parts: list[str] = []
    kinds = [k for k, hs in res.means.items() if any(h.access is not False for h in hs)]
    if res.in_progress:
        what = "/".join(_CAD_MEANS[k] for k in kinds) if kinds else "METHOD UNK"
        parts.append(f"ATTEMPT IN PROGRESS ({what})")
    elif kinds:
        parts.append("MEANS " + "/".join(_CAD_MEANS[k] for k in kinds))
    if any(h.access for hs in res.means.values() for h in hs):
        parts.append("HAS ACCESS")
    if "expressed_intent" in ind and not res.in_progress:
        parts.append("STATES INTENT")
    if "plan" in ind:
        parts.append("HAS PLAN")
    near = [h.label for h in res.timeframe if h.near and not lx.SENSITIVE.search(h.label)]
    if near:
        parts.append("WHEN " + near[0].upper())
    if res.risk_to_others:
        parts.append("THREAT TO OTHERS")
    places = list(dict.fromkeys(h.label for h in res.places))
    if places:
        parts.append("AT/NEAR " + "/".join(p.upper() for p in places[:2]))
    subs = list(dict.fromkeys(h.label for h in res.substances))
    if subs:
        parts.append("SUBST " + "/".join(s.upper() for s in subs[:2]))
    if res.minor:
        parts.append("POSS MINOR")
    if "prior_attempt" in ind:
        parts.append("PRIOR ATTEMPT")
    if not parts:
        parts.append("NO SPECIFIC RISK FOUND")
    return _join_within(head + ": ", parts, 200, "; ")


_QUOTE_PRIORITY: tuple[str, ...] = (
    "attempt_in_progress",
    "expressed_intent",
    "plan",
    "method_stated",
    "timeframe",
    "access_to_means",
    "preparatory_behaviour",
    "prior_attempt",
    "rehearsal",
    "suicidal_ideation",
    "self_harm",
    "hopelessness",
    "burden",
    "feeling_trapped",
    "unbearable_pain",
    "isolation",
)


def _key_quotes(reader: _Reader, res: _Result) -> list[Evidence]:
    chosen: dict[tuple[int, int, int], Evidence] = {}
    pools: list[list[_Hit]] = [res.indicators.get(c, []) for c in _QUOTE_PRIORITY]
    pools.insert(5, res.risk_to_others)
    for pool in pools:
        for h in pool:
            key = (h.message, *h.span)
            if key not in chosen and len(chosen) < 5:
                chosen[key] = _ev(reader, h)
                break  # one quote per indicator first: variety over repetition
    return [chosen[k] for k in sorted(chosen)]


def _platform_reason(level: Tier | None, score: float | None) -> list[str]:
    if level is None and score is None:
        return []
    text = f"Platform level: {level or 'none'}"
    if score is not None:
        text += f" (score {score:.2f})"
    return [text + "; the queue takes the higher of the platform level and this suggestion"]


class RuleEngine:
    """The default engine: English rules, offline, deterministic."""

    name = "rules"
    version = "1.1.0"
    # False runs every rule over all the text, as before the prefilter: same summaries, slower.
    # For the benchmark's same-run comparison and the tests only.
    _prefilter = True

    def summarize(
        self,
        *,
        transcript: Sequence[TranscriptLine],
        platform_level: Tier | None = None,
        platform_score: float | None = None,
    ) -> Summary:
        user_texts = [line.text for line in transcript if line.role == "user"]
        lang = detect_language(user_texts)
        if lang != "en":
            return self._unassessable(transcript, lang, platform_level, platform_score)
        reader = _Reader(transcript, prefilter=self._prefilter)
        reader.scan()
        reader.answers()
        res = _resolve(reader)
        tier, reasons = _suggest(res)
        reasons += _platform_reason(platform_level, platform_score)
        if not user_texts:
            reasons = ["No messages from the person yet", *reasons[1:]]

        indicators = [
            Indicator(
                domain=lx.DOMAIN[code],
                code=code,
                label=lx.LABEL[code],
                evidence=_evs(reader, res.indicators[code]),
            )
            for code in lx.INDICATOR_CODES
            if code in res.indicators
        ]
        means: list[Means] = []
        for kind in lx.MEANS_KINDS:
            hs = res.means.get(kind)
            if not hs:
                continue
            access: bool | None = None
            if any(h.access for h in hs):
                access = True
            elif any(h.access is False for h in hs):
                access = False
            means.append(Means(kind=kind, access=access, evidence=_evs(reader, hs)))
        key_quotes = _key_quotes(reader, res)
        summary = Summary(
            engine=self.name,
            engine_version=self.version,
            language="en",
            language_name=language_name("en"),
            assessable=True,
            headline=_headline(tier, res, reader),
            suggested_tier=tier,
            tier_reasons=reasons,
            indicators=indicators,
            means=means,
            timeframe=_findings(reader, res.timeframe),
            attempt_in_progress=_findings(reader, res.in_progress),
            places=_findings(reader, res.places),
            substances=_findings(reader, res.substances),
            risk_to_others=_findings(reader, res.risk_to_others),
            minor_signs=_findings(reader, res.minor),
            third_party=_findings(reader, res.third),
            key_quotes=key_quotes,
            cad_line=_cad_line(tier, res),
            evidence=[],
        )
        return summary.model_copy(update={"evidence": _all_evidence(summary)})

    def _unassessable(
        self,
        transcript: Sequence[TranscriptLine],
        lang: str,
        platform_level: Tier | None,
        platform_score: float | None,
    ) -> Summary:
        name = language_name(lang)
        tier: Tier = platform_level or "high"
        reasons = [
            f"Messages appear to be in {name}: the rules read English only, so the engine does "
            "not guess"
        ]
        if platform_level is None:
            reasons.append("No platform level given: suggesting high to err on the side of safety")
        else:
            reasons.append(f"Suggested tier is the platform level ({platform_level})")
        reasons += _platform_reason(platform_level, platform_score)
        # The person's latest words, verbatim, so the counselor sees something before translating.
        quotes: list[Evidence] = []
        for i in range(len(transcript) - 1, -1, -1):
            line = transcript[i]
            if line.role != "user" or not line.text.strip():
                continue
            msg = _Msg(i, line.text)
            s, e = _evidence_span(msg, 0, 0)
            if e > s:
                quotes.insert(0, Evidence(message=i, start=s, end=e, text=line.text[s:e]))
            if len(quotes) == 3:
                break
        return Summary(
            engine=self.name,
            engine_version=self.version,
            language=lang,
            language_name=name,
            assessable=False,
            headline=(
                f"Cannot assess: messages appear to be in {name}; the rules read English only. "
                "Read the transcript."
            )[:160],
            suggested_tier=tier,
            tier_reasons=reasons,
            indicators=[],
            means=[],
            timeframe=[],
            attempt_in_progress=[],
            places=[],
            substances=[],
            risk_to_others=[],
            minor_signs=[],
            third_party=[],
            key_quotes=quotes,
            cad_line=(
                f"CRISIS CHAT NOT ASSESSED ({name.upper()} LANGUAGE); "
                f"PLATFORM LEVEL {(platform_level or 'none').upper()}; NEEDS {name.upper()} SPEAKER"
            )[:200],
            evidence=sorted(quotes, key=lambda e: (e.message, e.start, e.end)),
        )


def _all_evidence(s: Summary) -> list[Evidence]:
    spans: dict[tuple[int, int, int], Evidence] = {}
    groups: list[list[Evidence]] = [i.evidence for i in s.indicators]
    groups += [m.evidence for m in s.means]
    for findings in (
        s.timeframe,
        s.attempt_in_progress,
        s.places,
        s.substances,
        s.risk_to_others,
        s.minor_signs,
        s.third_party,
    ):
        groups += [f.evidence for f in findings]
    groups.append(s.key_quotes)
    for group in groups:
        for e in group:
            spans.setdefault((e.message, e.start, e.end), e)
    return [spans[k] for k in sorted(spans)]


_DEFAULT = RuleEngine()


def summarize(
    *,
    transcript: Sequence[TranscriptLine],
    platform_level: Tier | None = None,
    platform_score: float | None = None,
) -> Summary:
    """Summarize with the default :class:`RuleEngine`."""
    return _DEFAULT.summarize(
        transcript=transcript, platform_level=platform_level, platform_score=platform_score
    )
