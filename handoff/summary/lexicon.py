"""English rules of the machine summary: phrases, the context words that cancel them, and labels.

Every pattern is compiled once at import (the engine must summarize a 200-message transcript in a
few milliseconds). Patterns are written with a few macros, expanded by ``_x``:

``{A}`` an optional apostrophe (straight, curly or backtick: people type all three or none);
``{IM}`` "I'm" and its spellings; ``{ILL}`` "I'll"; ``{IVE}`` "I've"; ``{NT}`` "n't".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from handoff.summary import regex_syntax as rx
from handoff.summary.types import Domain, MeansKind

_MACROS = {
    "{A}": "['’`]?",
    "{IM}": r"(?:\bi\s*['’`]?\s*m\b|\bi\s+am\b|\bima\b|\bimma\b)",
    "{ILL}": (
        r"(?:\bi\s*['’`]\s*ll\b|\bill\b(?=\s+(?:just|do|kill|end|be|take|jump|go|never))"
        r"|\bi\s+will\b)"
    ),
    "{IVE}": r"(?:\bi\s*['’`]?\s*ve\b|\bi\s+have\b)",
    "{NT}": r"n['’`]?t",
}


def _first_chars(items: Sequence[Any]) -> set[str] | None:
    """Characters a match of this parsed pattern can start with; None when any character can."""
    first: set[str] = set()
    for op, av in items:
        if op in (rx.AT, rx.ASSERT, rx.ASSERT_NOT):
            continue  # zero width: look at what follows
        if op is rx.LITERAL:
            return first | {chr(av)}
        if op is rx.IN:
            for inner_op, inner in av:
                if inner_op is rx.LITERAL:
                    first.add(chr(inner))
                elif inner_op is rx.RANGE and inner[1] - inner[0] < 64:
                    first.update(chr(c) for c in range(inner[0], inner[1] + 1))
                elif inner_op is rx.CATEGORY and inner is rx.CATEGORY_DIGIT:
                    first.update("0123456789")
                elif inner_op is rx.CATEGORY and inner is rx.CATEGORY_SPACE:
                    first.update(" \t\n\r\f\v")
                else:
                    return None
            return first
        if op is rx.BRANCH:
            for branch in av[1]:
                sub = _first_chars([*list(branch)])
                if sub is None:
                    return None
                first |= sub
            return first
        if op is rx.SUBPATTERN:
            sub = _first_chars(list(av[-1]))
            if sub is None:
                return None
            return first | sub
        if op in (rx.MAX_REPEAT, rx.MIN_REPEAT, rx.POSSESSIVE_REPEAT):
            sub = _first_chars(list(av[2]))
            if sub is None:
                return None
            first |= sub
            if av[0] > 0:
                return first
            continue  # optional: the next item may start the match too
        return None
    return None  # the pattern can match the empty string


def _at_boundary(items: Sequence[Any]) -> bool:
    """Whether every match of this parsed pattern starts at a word boundary (a ``\\b`` before
    anything is consumed). Conservative: False when unsure."""
    for op, av in items:
        if op is rx.AT:
            if av is rx.AT_BOUNDARY:
                return True
            continue
        if op in (rx.ASSERT, rx.ASSERT_NOT):
            continue  # zero width: look at what follows
        if op is rx.BRANCH:
            return all(_at_boundary(list(branch)) for branch in av[1])
        if op is rx.SUBPATTERN:
            return _at_boundary(list(av[-1]))
        return False
    return False


def _guard(parsed: Sequence[Any]) -> str | None:
    """A prefix that only rejects start positions where the parsed pattern cannot match: a
    lookahead on the characters a match can start with, then a word boundary when every match
    starts at one."""
    first = _first_chars(parsed)
    if not first:
        return None
    chars = {c.lower() for c in first} | {c.upper() for c in first}
    charset = "".join(sorted(re.escape(c) for c in chars if len(c) == 1))
    # Inside a word the boundary fails at once, before the alternatives are tried one by one. It
    # comes after the cheaper character test.
    boundary = r"\b" if _at_boundary(parsed) else ""
    return f"(?=[{charset}]){boundary}"


def _x(*patterns: str) -> re.Pattern[str]:
    """Expand the macros and compile the alternation, case-insensitive.

    Python's regex engine tries a match at every position of the text unless it knows which
    characters a match can start with, and a leading ``\\b`` hides that. A lookahead on the
    computed first characters lets it skip ahead: several times faster on long transcripts.
    """
    joined = "|".join(f"(?:{p})" for p in patterns)
    for macro, value in _MACROS.items():
        joined = joined.replace(macro, value)
    guard = _guard(rx.parse(joined, re.IGNORECASE))
    if guard:
        joined = f"{guard}(?:{joined})"
    return re.compile(joined, re.IGNORECASE)


# Context checks a rule asks for (see engine._context).
NEG = 1  # "I would never", "I'm not going to"
HYP = 2  # "what if someone", "for a school project", "my character"
JOKE = 4  # "lol", "haha", "jk" in the sentence, unless "not joking" / "seriously"
LYRIC = 8  # "this song says", "lyrics", "the line in the movie"
THIRD = 16  # the subject is someone else, or reported speech ("my friend said")
PAST = 32  # "used to", "years ago", "when I was 12": not a current state
ALL = NEG | HYP | JOKE | LYRIC | THIRD | PAST


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str  # "indicator", "means", "timeframe", "attempt", "place", "substance", ...
    code: str  # indicator code, means kind, timeframe strength, attempt mode or finding label
    pattern: re.Pattern[str]
    checks: int
    strong: bool = True  # weak rules need risk nearby (see engine)


DOMAIN: dict[str, Domain] = {
    "suicidal_ideation": "desire",
    "hopelessness": "desire",
    "feeling_trapped": "desire",
    "burden": "desire",
    "unbearable_pain": "desire",
    "isolation": "desire",
    "prior_attempt": "capability",
    "access_to_means": "capability",
    "substance_use": "capability",
    "self_harm": "capability",
    "rehearsal": "capability",
    "exposure_to_death": "capability",
    "plan": "intent",
    "method_stated": "intent",
    "timeframe": "intent",
    "preparatory_behaviour": "intent",
    "attempt_in_progress": "intent",
    "expressed_intent": "intent",
    "social_support": "buffers",
    "reasons_for_living": "buffers",
    "future_plans": "buffers",
    "engaged_with_help": "buffers",
    "ambivalence": "buffers",
}

LABEL: dict[str, str] = {
    "suicidal_ideation": "Thoughts of suicide or of wanting to die",
    "hopelessness": "Hopelessness",
    "feeling_trapped": "Feeling trapped, no way out",
    "burden": "Feeling a burden to others",
    "unbearable_pain": "Pain or distress felt as unbearable",
    "isolation": "Feeling alone, no one cares",
    "prior_attempt": "Previous suicide attempt",
    "access_to_means": "Has access to means",
    "substance_use": "Drinking or drug use now",
    "self_harm": "Self-harm (history or current)",
    "rehearsal": "Rehearsal or researching a method",
    "exposure_to_death": "Death of someone close, or suicide nearby",
    "plan": "Has a plan",
    "method_stated": "Method named",
    "timeframe": "Timeframe given",
    "preparatory_behaviour": "Preparations (goodbyes, note, giving things away)",
    "attempt_in_progress": "Attempt in progress",
    "expressed_intent": "States intent to act",
    "social_support": "People who support them",
    "reasons_for_living": "Reasons for living",
    "future_plans": "Plans for the future",
    "engaged_with_help": "Engaged with help (therapy, care, crisis line)",
    "ambivalence": "Ambivalence (part of them wants to live)",
}

INDICATOR_CODES: tuple[str, ...] = tuple(DOMAIN)

# Common groups used inside patterns.
_KIN = (
    r"(?:mom|mum|mother|dad|father|sister|sis|brother|bro|best\s+friend|bestie|friend|friends|"
    r"partner|husband|wife|boyfriend|girlfriend|gf|bf|aunt|uncle|grandma|grandmother|grandpa|"
    r"grandfather|nana|roommate|family|cousin|son|daughter|kids?|children|stepmom|stepdad|"
    r"parents?|fianc[eé]e?|pastor|coach)"
)
_DRUGS = (
    r"(?:tylenol|acetaminophen|paracetamol|ibuprofen|advil|motrin|aleve|aspirin|excedrin|"
    r"oxy|oxys|oxycodone|oxycontin|percocet|percs|vicodin|hydrocodone|fentanyl|fent|xanax|"
    r"xannies|bars|valium|klonopin|ativan|benzos?|ambien|seroquel|lithium|insulin|sertraline|"
    r"zoloft|prozac|lexapro|wellbutrin|trazodone|gabapentin|tramadol|morphine|methadone|"
    r"codeine|benadryl|diphenhydramine|nyquil|melatonin|adderall|antidepressants|"
    r"sleeping\s+pills|pain\s*killers|painkillers|heart\s+meds|blood\s+pressure\s+meds)"
)
_PILLS = rf"(?:pills?|tablets?|caps|capsules|meds|medications?|prescriptions?|{_DRUGS})"
_NUM = (
    r"(?:\d{1,4}|a\s+dozen|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
    r"twenty|thirty|forty|fifty|sixty|a\s+hundred|hundreds|a\s+bunch(?:\s+of)?|a\s+handful(?:\s+of)?"
    r"|a\s+lot(?:\s+of)?|a\s+ton(?:\s+of)?|so\s+many|too\s+many|enough|every|all(?:\s+of)?|"
    r"the\s+whole|a\s+whole|the\s+rest\s+of|half(?:\s+a)?|like\s+\d{1,4}|over\s+\d{1,4}|"
    r"more\s+than\s+\d{1,4}|extra|double)"
)

RULES: tuple[Rule, ...] = (
    # ---- desire ------------------------------------------------------------------------------
    Rule(
        "indicator",
        "suicidal_ideation",
        _x(
            r"\b(?:want|wanna|wanted|wish|need|ready|trying\s+not)\s+(?:to\s+|2\s+)?(?:just\s+|really\s+)?"
            r"(?:die|d1e|be\s+dead|not\s+exist|stop\s+existing|disappear\s+forever|not\s+wake\s+up|"
            r"never\s+wake\s+up|end\s+it(?:\s+all)?|end\s+my\s+life|end\s+things|kill\s+myself|"
            r"unalive\s+myself|not\s+be\s+here\s+any\s*more|be\s+gone\s+for\s+good)\b",
            r"\b(?:kill|kil|kll|killing|killin|kiling)\s*(?:my\s*self|myslef|mysef|meself)\b",
            r"\bkms\b|\bkys\s+myself\b",
            r"\bunaliv(?:e|ing)\s*(?:my\s*self|me)\b|\bunalive\b",
            r"\bsewer\s*slide\b|\bsewerslide\b|\bsuicidal\b|\bsu[i1!]?c[i1!]?dal\b",
            r"(?<!\bby\s)(?<!\bof\s)(?<!\bto\s)(?<!committed\s)(?<!about\s)(?<!word\s)(?<!word\s')"
            r"(?<!word\s\")(?<!word\s“)\bsu[i1!]?c[i1!]?de\b"
            r"(?!\s+(?:hotline|line|prevention|awareness|note|letter|attempts?|watch|squad|rates?|"
            r"(?:is|isn{A}t|is\s+not|was|was\s+not|wasn{A}t)\s+(?:never\s+|not\s+|n{A}t\s+)?(?:the|an?|a\s+permanent)\s+"
            r"(?:answer|option|solution|way)|is\s+(?:almost\s+|rarely\s+|usually\s+|often\s+|never\s+|"
            r"not\s+|so\s+|such\s+|a\s+|the\s+|really\s+|complicated|preventable|common)))",
            r"\b(?:pray|praying|prayed|hope|hoping|hoped)\s+(?:\w+\s+){0,3}?(?:that\s+)?(?:god|the\s+lord|the\s+good\s+"
            r"lord|lord|jesus)\s+(?:will|would|to)\s+(?:just\s+)?take\s+me\b",
            r"\b(?:pray|praying|prayed|hope|hoping|hoped)\s+(?:that\s+)?i\s+(?:don{A}t|won{A}t|never|"
            r"do\s+not|will\s+not)\s+wake\s+up\b",
            r"\bwish(?:ed)?\s+i\s+(?:was|were|wasn{A}t|weren{A}t|had\s+never\s+been|was\s+never|could)"
            r"\s+(?:just\s+)?(?:dead|born|alive|gone|die|disappear|not\s+wake\s+up|never\s+born|"
            r"fall\s+asleep\s+and\s+not)",
            r"\b(?:don{A}t|do\s+not|dont|no\s+longer)\s+(?:really\s+)?want\s+to\s+(?:live|be\s+alive|"
            r"exist|wake\s+up|keep\s+living|go\s+on|be\s+here\s+any\s*more)\b"
            r"(?!\s+(?:in|with|at|near|like\s+that)\b)",
        ),
        ALL,
    ),
    Rule(
        "indicator",
        "suicidal_ideation",
        _x(
            r"\bbetter\s+off\s+dead\b|\b(?:take|end|ending|taking)\s+my\s+(?:own\s+)?life\b",
            r"\bend\s+it\s+all\b|\bend\s+myself\b|\boff\s+myself\b",
            r"\b(?:thinking|thought|thoughts|think)\s+(?:about|of)\s+(?:dying|death|ending\s+it|"
            r"killing\s+myself|suicide|not\s+being\s+(?:here|alive)|ending\s+my\s+life)",
            r"\bi\s+(?:should|could)\s+just\s+die\b|\bready\s+to\s+die\b",
            r"\bi{A}?d\s+(?:much\s+)?rather\s+(?:die|be\s+dead)\b",
        ),
        ALL,
    ),
    Rule(
        "indicator",
        "suicidal_ideation",
        _x(
            r"\bwish(?:ed|ing)?\s+i\s+(?:was|were)\s+dead\b|\bpart\s+of\s+me\s+wants\s+to\s+die\b",
            r"\bwish\s+i\s+could\s+(?:just\s+)?(?:go\s+to\s+sleep|fall\s+asleep|sleep)\s+and\s+"
            r"(?:not|never)\s+wake",
            r"\bdon{A}t\s+know\s+if\s+i\s+want\s+to\s+(?:keep\s+going|live|be\s+here|keep\s+living)",
            r"\b(?:use|using|used)\s+(?:it|one|them|that|a\s+\w+)\s+on\s+myself\b",
            r"\b(?:don{A}t|do\s+not|dont)\s+want\s+to\s+be\s+here\b(?!\s+(?:in|with|at|near|for|like|"
            r"right\s+now|today|any\s*more))",
        ),
        ALL,
    ),
    Rule(
        "indicator",
        "hopelessness",
        _x(
            r"\bhopeless(?:ness)?\b|\bno\s+hope\b|\bpointless\b|\bno\s+future\b",
            r"\b(?:it|things|life|this|nothing|stuff)\s+(?:will\s+never|won{A}t\s+ever|won{A}t|"
            r"(?:is|are)\s+never\s+going\s+to|(?:is|are)n{A}t\s+(?:ever\s+)?going\s+to|"
            r"(?:is|are)\s+not\s+going\s+to|never|will\s+ever|(?:is|are)\s+ever\s+going\s+to)\s+"
            r"(?:get\s+(?:any\s+)?better|change|improve|be\s+(?:ok|okay|better|different))",
            r"\b(?:what{A}s|whats|what\s+is)\s+(?:even\s+)?the\s+point\b|\bno\s+point\b",
            r"\b(?:it|things|life|nothing|this)(?:{A}s|{A}re|\s+is|\s+are)\s+(?:never|not\s+ever|not|"
            r"ever)?\s*going\s+to\s+(?:get\s+(?:any\s+)?better|change|improve)",
            r"\b(?:give|giving|gave|given)\s+up\b(?!\s+(?:on\s+(?:school|the\s+game|that\s+idea|"
            r"smoking|sugar|drinking)))",
        ),
        ALL,
    ),
    Rule(
        "indicator",
        "hopelessness",
        _x(
            r"\bno\s+reason\s+to\s+(?:live|stay|keep\s+going|go\s+on)\b|\bnothing\s+to\s+live\s+for\b",
            r"\b(?:don{A}t|dont|can{A}t|cant)\s+see\s+(?:a|any)\s+(?:way\s+forward|future|point)\b",
        ),
        ALL,
    ),
    Rule(
        "indicator",
        "feeling_trapped",
        _x(
            r"\btrapped\b|\bcornered\b|\bno\s+way\s+out\b|\b(?:only|one)\s+way\s+out\b",
            r"\bcan{A}t\s+(?:escape|get\s+out)\b|\bnowhere\s+(?:to\s+(?:go|turn)|left)\b",
        ),
        ALL,
    ),
    Rule(
        "indicator",
        "feeling_trapped",
        _x(
            r"\b(?:{IM}|feel|feeling|so|completely|totally)\s+(?:so\s+|just\s+|completely\s+)?stuck\b",
            r"\bno\s+(?:other\s+)?(?:options?|choice|escape)\s+(?:left|but)\b|\bno\s+other\s+option",
        ),
        ALL,
    ),
    Rule(
        "indicator",
        "burden",
        _x(
            r"\bburden\b",
            r"\b(?:better|happier|easier)\s+off\s+without\s+me\b",
            r"\b(?:happier|easier|better)\s+(?:if\s+i\s+(?:was|were|wasn{A}t|weren{A}t)\s+"
            r"(?:gone|dead|here|around|born)|without\s+me)\b",
            r"\bi\s+(?:ruin|ruined|mess\s+up|wreck|destroy)\s+everything\b",
            r"\b(?:waste\s+of\s+(?:space|air|oxygen))\b|\bi{A}?m\s+(?:just\s+)?a\s+problem\b",
        ),
        ALL & ~THIRD,
    ),
    Rule(
        "indicator",
        "unbearable_pain",
        _x(
            r"\bcan{A}t\s+(?:take|do|handle|bear|stand|deal\s+with)\s+(?:it|this|any\s*more|life|"
            r"the\s+pain|everything|living)\b",
            r"\bunbearable\b|\b(?:too\s+much|so\s+much)\s+pain\b|\bhurts\s+too\s+much\b",
            r"\bcan{A}t\s+(?:go\s+on|keep\s+(?:going|living|doing\s+this))\b",
            r"\bcan{A}t\s+take\s+(?:much|any)\s+more\b",
            r"\b(?:so\s+)?(?:tired|sick)\s+of\s+(?:living|life|being\s+alive|everything|existing|"
            r"fighting|feeling\s+like\s+this|being\s+me)\b",
            r"\b(?:done|exhausted)\s+with\s+(?:life|everything|living)\b",
            r"\bthe\s+pain\s+(?:never|won{A}t)\s+(?:stops?|ends?|go(?:es)?\s+away)",
        ),
        ALL,
    ),
    Rule(
        "indicator",
        "isolation",
        _x(
            r"\b(?:{IM}|feel|feeling|so|completely|totally|always|all|been|truly)\s+"
            r"(?:so\s+|completely\s+|totally\s+|really\s+|all\s+)?alone\b",
        ),
        ALL & ~THIRD,
    ),
    Rule(
        "indicator",
        "isolation",
        _x(
            r"\blonely\b|\bisolated\b|\bno\s+friends\b|\bi\s+have\s+(?:no\s*one|nobody|noone)\b",
            r"\b(?:nobody|no\s*one|noone|no1)\s+(?:even\s+|really\s+)?(?:cares|would\s+care|"
            r"would\s+(?:even\s+)?(?:miss|notice)|understands|likes|loves|to\s+talk\s+to|gets\s+it|"
            r"listens|would\s+come|checks\s+on\s+me|texts\s+me\s+back|calls\s+me|talks\s+to\s+me)\b",
        ),
        ALL & ~THIRD,
    ),
    # ---- capability --------------------------------------------------------------------------
    Rule(
        "indicator",
        "prior_attempt",
        _x(
            r"\b(?:my|the)\s+(?:last|first|previous|second|third|other)\s+(?:suicide\s+)?"
            r"(?:attempt|overdose)\b",
            r"\b{IVE}\s+(?:tried|attempted|done\s+it)\s+(?:it\s+|this\s+)?before\b",
            r"\bsurvived\s+(?:an?\s+|my\s+)?(?:suicide\s+)?(?:attempt|overdose)\b",
            r"\battempted\s+(?:suicide|before)\b|\bsuicide\s+attempts?\b",
            r"\b(?:after|since|before)\s+my\s+(?:suicide\s+)?(?:attempt|overdose|od)\b",
            r"\bmy\s+(?:suicide\s+)?attempts?\b(?!\s+(?:at|to)\b)",
            r"\b(?:after|since)\s+i\s+(?:tried|attempted)\b",
            r"\bi\s+(?:walked|went|waded)\s+into\s+the\s+(?:ocean|sea|lake|river|water)\b",
        ),
        NEG | HYP | THIRD | JOKE,
    ),
    Rule(
        "indicator",
        "prior_attempt",
        _x(
            r"\b(?:drove|crashed|steered|swerved|jumped|overdosed|od{A}d|took\s+(?:\w+\s+){0,4}pills|"
            r"stepped|walked)\b[^.!?\n]{0,80}?\bon\s+purpose\b",
            r"\bi\s+(?:tried|attempted)\s+(?:it\s+)?(?:once|twice|before|back\s+in|in\s+(?:19|20)\d\d|"
            r"when\s+i\s+was|last\s+(?:year|month|summer|spring|fall|winter)|"
            r"(?:\w+\s+){0,2}(?:years?|months?|weeks?)\s+ago)\b",
        ),
        NEG | HYP | THIRD | JOKE,
    ),
    # An attempt told by its act or its survival, with no "suicide" or "tried" in it ("jumped from
    # my balcony in September", "stood on a roof and stepped off", "attempt survivor here").
    Rule(
        "indicator",
        "prior_attempt",
        _x(
            r"(?<!just\s)(?<!already\s)\bjumped\s+(?:off|from|out\s+of)\s+(?:a|the|my|our|an)\s+(?:\w+\s+){0,2}?(?:bridge|roof|"
            r"rooftop|balcony|building|parking\s+(?:garage|structure|deck)|window|overpass|cliff|"
            r"ledge|floor)\b",
            r"\b(?:stood|was\s+standing|climbed)\s+(?:on|onto|up\s+on)\s+(?:a|the|my)\s+(?:\w+\s+)?"
            r"(?:roof|ledge|bridge|railing|balcony|edge)\s+(?:\w+\s+){0,4}?and\s+(?:stepped|jumped|"
            r"fell|let\s+go)\b",
            r"\b(?:drove|steered|swerved|aimed\s+my\s+car)\s+into\s+(?:oncoming\s+traffic|a\s+(?:tree|"
            r"wall|pole|truck|bridge\s+pillar)|the\s+(?:river|lake|median))\b",
            r"\bsat\s+in\s+(?:my|the)\s+car\s+(?:\w+\s+){0,4}?with\s+(?:it|the\s+engine|the\s+motor)\s+"
            r"running\b",
            r"\b(?:suicide\s+|an\s+)?attempt\s+survivor\b(?:\s+here\b)?|\bsurvivor\s+of\s+(?:an?\s+|my\s+own\s+)?"
            r"(?:suicide\s+)?attempt\b",
            r"\bthe\s+(?:night|day|time|morning|year|summer|winter|week)\s+i\s+(?:tried|attempted|"
            r"overdosed|jumped)\b",
            r"\battempted\s+(?:once|twice|\w+\s+times|(?:\w+\s+){1,2}(?:years?|months?|weeks?)\s+ago|"
            r"in\s+(?:19|20)\d\d|at\s+\d\d|when\s+i\s+was|last\s+(?:year|month|summer|spring|fall|"
            r"winter))\b",
        ),
        NEG | HYP | THIRD | JOKE,
    ),
    Rule(
        "indicator",
        "substance_use",
        _x(
            r"\b(?:{IM}|been|got|getting|gotten|so|pretty|really|kinda|super|very)\s+"
            r"(?:so\s+|really\s+|pretty\s+|kinda\s+|super\s+|very\s+)?(?:drunk|wasted|high|hammered|"
            r"smashed|stoned|tipsy|faded|buzzed|blackout\s+drunk|fucked\s+up|messed\s+up\s+on\s+\w+)\b"
            r"(?!\s+(?:school|up|enough|ground|risk))",
            r"\b(?:{IVE}\s+been|been|{IM}|i\s+was|keep|kept|started)\s+(?:drinking|using|smoking\s+"
            r"(?:weed|crack|meth)|snorting|shooting\s+up|popping)\b",
            r"\b(?:drank|downed|finished|chugged|had)\s+(?:a|the|half\s+a|a\s+whole|\d+|two|three|four|"
            r"five|six|a\s+bunch\s+of|so\s+many|some|a\s+lot\s+of|too\s+many)?\s*(?:bottle\s+of\s+|"
            r"fifth\s+of\s+|pint\s+of\s+|handle\s+of\s+)?(?:beers?|vodka|whiskey|whisky|wine|shots|"
            r"tequila|rum|drinks|alcohol|liquor|white\s+claws?|jack)\b",
            r"\brelapsed\b(?!\s+(?:on|with|into)\s+(?:cutting|self|sh\b))",
        ),
        NEG | HYP | THIRD | PAST | JOKE,
    ),
    # Self-harm, in rules of at most 16 alternatives each: the prefilter keeps that many of a
    # rule's alternatives apart and merges the rest into one loose set.
    Rule(
        "indicator",
        "self_harm",
        _x(
            r"\b(?:cut|cutting|cuttin|cuts|burn|burning|burned|burnt|hurt|hurting|harm|harming|"
            r"scratch|scratching|scratched|scrach|scraching|scrached|scratchin|carve|carving|carved|slash|slashing|slashed|hit|hitting)\s+"
            r"(?:myself|my\s*self|myslef|meself|my\s+(?:arms?|legs?|thighs?|wrists?|skin|stomach|"
            r"hips?|ankles?|shoulders?))\b(?!\s+(?:a\s+(?:slice|piece|bit|break|deal|plate)|some|off|"
            r"free|loose|short|out\s+of|a\s+break)\b)",
            r"\bself[\s-]?h[ae]rm(?:ing|ed)?\b|\bslef[\s-]?harm\w*|\bmy\s+scars\b|\bfresh\s+(?:cuts|"
            r"wounds|burns)\b|\bmy\s+(?:cutting|fresh\s+cuts)\b",
            r"\brelaps\w*\s+(?:on|with|into|back\s+into)\s+(?:cutting|cuttin|self[\s-]?harm|sh\b|"
            r"burning|scratching)",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
    ),
    Rule(
        "indicator",
        "self_harm",
        _x(
            r"\b(?:cutting|cuttin|cut|sh|self[\s-]?harm|blades?|razors?)\b[^.!?\n]{0,50}?\brelaps\w*",
            r"\brelaps\w*\b[^.!?\n]{0,50}?\b(?:cutting|cuttin|cut|sh|self[\s-]?harm|blades?|razors?)\b",
            r"\bi\s+(?:just\s+|finally\s+)?(?:cut|burned|burnt|scratched)\s+(?:again|last\s+night|"
            r"yesterday|today|tonight|this\s+(?:morning|week)|deeper|for\s+the\s+first\s+time)\b",
            r"\b(?:been|started|start|keep|kept|still|went\s+back\s+to|back\s+to|stop|quit|relapsed|"
            r"urges?\s+to|thinking\s+(?:about|of)|can{A}t\s+stop)\s+(?:cutting|cuttin|burning\s+myself|"
            r"self[\s-]?harming)\b(?!\s+(?:back|down|off|out|ties|costs?|hours|class|carbs|sugar|it\b|"
            r"them|the|my\s+(?:hours|hair)|corners|coupons))",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
    ),
    Rule(
        "indicator",
        "self_harm",
        _x(
            r"\b(?:urges?|want(?:ed)?|wanna|need(?:ed)?|tempted)\s+(?:to\s+)?(?:cut|sh)\b"
            r"(?=\s*(?:$|[.,!?;\n]|again|so\s+bad|really\s+bad|tonight|today|right\s+now))",
            r"\bclean\s+from\s+(?:cutting|self[\s-]?harm\w*|burning|scratching)\b",
            r"\b(?:urges?\s+to|did|doing|clean\s+from|relapsed\s+on)\s+sh\b(?![-'’]\w)",
            r"\bsh\s+(?:again|scars?|urges?|relapse|wounds?|is\s+the\s+only)\b",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
    ),
    Rule(
        "indicator",
        "self_harm",
        _x(
            r"\bsh['’`](?:ing|ed|d)\b|\bsh(?:ing|ed)\s+(?:again|since|for)\b",
            r"\b(?:pick|picking|picked)\s+(?:at\s+)?my\s+(?:skin|scabs?|face|arms?|fingers?|lips?|"
            r"cuticles?|scalp)\s+(?:until|till|til|so\s+bad|to\s+the\s+point|raw|open)",
            r"\b(?:skin|scab)[\s-]?picking\b|\bhair[\s-]?pulling\b|\bscabs?\s+i\s+picked\b",
            r"\bi\s+(?:also\s+|still\s+|just\s+)?(?:pull|pick)\s+(?:out\s+)?(?:at\s+)?my\s+(?:hair|"
            r"eyelashes|lashes|eyebrows|skin|scabs)\b(?!\s+(?:back|up|into|out\s+of\s+(?:my|the)\s+face))",
            r"\b(?:cutting|cuttin|cut)\s+again\b|\bmy\s+cuts\b",
            r"\b(?:pull|pulling|pulled|rip|ripping|ripped|yank|yanking)\s+out\s+my\s+(?:hair|"
            r"eyelashes|lashes|eyebrows)\b|\btrich(?:otillomania)?\b",
            r"\b(?:pull|pulling|pulled|rip|ripping|ripped)\s+my\s+(?:hair|eyelashes|lashes|eyebrows)\s+"
            r"out\s+(?:until|till|til|in\s+clumps|so\s+bad)",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
    ),
    Rule(
        "indicator",
        "self_harm",
        _x(
            r"\b(?:hit|hitting|punch|punching|punched|bang|banging|banged|slam|slamming|slammed)\s+"
            r"my\s+head\s+(?:against|on|into)\b",
            r"\b(?:overdos\w*|od|took\s+(?:\w+\s+){0,3}(?:pills|meds)|swallowed\s+(?:\w+\s+){0,3}pills)"
            r"\s+(?:just\s+)?(?:to\s+(?:numb|feel\s+nothing|not\s+feel|sleep\s+it\s+off|punish\s+"
            r"myself|make\s+it\s+stop|escape)|but\s+(?:i\s+)?(?:wasn{A}t|didn{A}t)\s+(?:trying|want|"
            r"mean)\s+to\s+die)",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
    ),
    Rule(
        "indicator",
        "self_harm",
        _x(
            r"\b(?:and|then)\s+(?:i\s+)?(?:cut|burn)\b(?=\s*(?:$|[.!;\n]|again))",
            r"\bthe\s+(?:actual\s+)?sh\b(?![-'’]\w)|\bthe\s+cutting\s+(?:is|was|has|got|isn{A}t|wasn{A}t)\b",
            r"\bi\s+(?:cut|burned|burnt)(?=\s*[.!](?:\s|$))",
            r"\b(?:heated|heat)\s+(?:a|the|up\s+a)\s+(?:\w+\s+){0,2}(?:and|then)\s+(?:pressed|held|put)\s+it\s+"
            r"(?:on|against|to)\s+my\b",
            r"\b(?:held|pressed|put)\s+(?:a|the)\s+(?:hot|burning|lit)\s+\w+\s+(?:on|against|to)\s+my\s+"
            r"(?:wrists?|arms?|skin|thighs?|legs?|stomach)\b",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
    ),
    # Injury told by its result ("until they bleed", "till my knuckles split") and burns by the
    # object ("put a cigarette out on my arm").
    Rule(
        "indicator",
        "self_harm",
        _x(
            r"\b(?:until|till|til|untill|untel)\s+(?:(?:they|it|i)\s+|my\s+(?:\w+\s+){1,2}?|the\s+skin\s+)"
            r"(?:bleed|bled|bleeds|bleeding|split|splits|broke|blistered|blister|tore|ripped|"
            r"(?:was|were|are|is)\s+(?:bleeding|raw|bloody|split\s+open)|started\s+bleeding)\b",
            r"\b(?:put|putting|puts|stub|stubbed|stubbing|press|pressed|pressing|held|hold|holding)\s+"
            r"(?:a\s+|the\s+|my\s+|lit\s+)?(?:cigarettes?|cigs?|lighters?|matche?s?|curling\s+iron|"
            r"straightener|hot\s+(?:knife|spoon|iron|metal|coin|pan))\s+(?:out\s+)?(?:on|against|to|"
            r"into)\s+my\b",
            r"\b(?:cigarette|cig|lighter|curling\s+iron)\s+burns?\s+(?:on|all\s+over)\s+my\b",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
    ),
    # "Relapsed" or "clean for 3 weeks" alone: self-harm when self-harm is said in the transcript.
    Rule(
        "indicator",
        "self_harm",
        _x(
            r"\brelapsed\b",
            r"\b(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|a\s+few|a\s+couple(?:\s+of)?)"
            r"\s+(?:days?|weeks?|months?|years?|yrs?)\s+clean\b|\bclean\s+(?:for|since)\b",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
        strong=False,
    ),
    Rule(
        "indicator",
        "rehearsal",
        _x(
            r"(?<!we\s)(?<!they\s)\b(?:practiced|practised|rehearsed|tested\s+(?:the|if|whether|how)|"
            r"did\s+a\s+test\s+run|"
            r"dry\s+run)\b",
            r"\b(?:looking\s+up|looked\s+up|googling|googled|researching|researched|searched|"
            r"searching|reading\s+about)\s+(?:how|ways|what|the\s+best\s+way|methods?|the\s+dose|"
            r"lethal|which|painless)",
            r"\bhow\s+(?:many|much)\s+(?:\w+\s+){0,3}?(?:would|does\s+it|do\s+you|will|it\s+takes?|to)\s+"
            r"(?:it\s+)?(?:take\s+to\s+)?(?:kill|die|be\s+lethal|overdose|od|take\s+to\s+die)",
            r"\b(?:held|put)\s+(?:the|a|my\s+\w+{A}s|my)\s+(?:gun|knife|blade|pistol|rope|belt|noose)\s+"
            r"(?:to|against|around|in)\s+my\s+(?:head|temple|throat|wrist|neck|mouth)\b",
            r"\b(?:tied|made)\s+(?:a|the)\s+(?:noose|rope)\b",
            r"\b(?:tied|tying|hung|knotted)\s+(?:a|the|my)\s+(?:cord|belt|sheet|cable|extension\s+cord|"
            r"scarf)\s+(?:to|around|from|over|on)\s+(?:a|the|my)\s+(?:\w+\s+)?(?:rod|beam|hook|"
            r"door(?:knob|\s+handle)?|banister|pipe|ceiling\s+fan|rafter)\b",
            r"\b(?:stood|was\s+standing|sat|climbed\s+(?:up\s+)?|leaned|was\s+sitting)\s+(?:on|at|by|near|"
            r"over|onto|up\s+on)\s+(?:the\s+)?(?:\w+\s+){0,2}?(?:edge|ledge|railing)\b",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
    ),
    Rule(
        "indicator",
        "rehearsal",
        _x(
            r"\bwent\s+up\s+to\s+the\s+(?:roof|top\s+floor|top\s+of)\b",
            r"\bwent\s+to\s+the\s+(?:bridge|roof|tracks|edge)\b",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
    ),
    Rule(
        "indicator",
        "exposure_to_death",
        _x(
            r"\b(?:killed|hung|hanged|shot)\s+(?:him|her|them)sel(?:f|ves)\b|\bthemself\b",
            r"\b(?:died|dying)\s+(?:by|of|from)\s+(?:suicide|an\s+overdose|overdose|od)\b",
            r"\bcommitted\s+suicide\b|\btook\s+(?:his|her|their)\s+(?:own\s+)?life\b",
            r"\blost\s+(?:my|a|our)\s+\w+(?:\s+\w+)?\s+to\s+(?:suicide|an\s+overdose|overdose)\b",
            rf"\bmy\s+{_KIN}\s+(?:died|passed\s+away|passed|was\s+killed|killed\s+\w+self)\b",
            r"\b(?:his|her|their|the|a)\s+funeral\b",
        ),
        NEG | HYP,
    ),
    # ---- intent ------------------------------------------------------------------------------
    Rule(
        "indicator",
        "plan",
        _x(
            r"\b(?:i|{IVE}|i\s+got|{IVE}\s+got|i\s+already)\s+(?:already\s+)?(?:have|got|made|"
            r"come\s+up\s+with|worked\s+out|figured\s+out|thought\s+out)?\s*(?:a|the|my)\s+plan\b"
            r"(?!\s+(?:to|for)\s+(?!(?:kill|end|die|do\s+it|jump|overdose|od\b|hang|shoot|take\s+(?:my\s+life|"
            r"all|them|the\s+pills)|cut\s+(?:myself|my\s+wrist)|drown|crash|swallow|not\s+be|tonight|"
            r"tomorrow|when|how|after)))",
            r"\bmy\s+plan\s+(?:is|was)\b|\bthe\s+plan\s+is\b",
            r"\b(?:planned|planning|plan)\s+(?:it|this|it\s+all|everything)\s*(?:out)?\b",
            r"\b(?:it|everything)\s+(?:all\s+)?planned(?:\s+out)?\b",
            r"\b(?:planned|planning|plan)\s+(?:to|on)\s+(?:kill(?:ing)?\s+myself|end(?:ing)?\s+(?:it|my|"
            r"things|myself)|do(?:ing)?\s+it|jump|overdos|od\b|tak(?:e|ing)\s+(?:my\s+(?:own\s+)?life|all|"
            r"the\s+pills|every|them\s+all)|hang|shoot\s+myself|driv(?:e|ing)\s+(?:my\s+car\s+)?(?:into|"
            r"off)|crash|cut(?:ting)?\s+(?:myself|my\s+(?:wrists?|throat))|drown|die\b)",
            r"\b(?:know|figured\s+out|decided|worked\s+out)\s+(?:exactly\s+)?(?:how|when|where)\s+"
            r"i{A}?(?:d|ll|m\s+going\s+to|m\s+gonna|\s+would|\s+will|\s+want\s+to|\s+could)\s+"
            r"(?:do\s+it|kill|end|die|go|jump|take)",
            r"\b(?:picked|chose|chosen|set)\s+(?:a|the)\s+(?:day|date|place|spot|time|way|bridge)\b",
        ),
        ALL,
    ),
    Rule(
        "indicator",
        "expressed_intent",
        _x(
            r"{IM}\s+(?:really\s+|just\s+|finally\s+|definitely\s+|seriously\s+|actually\s+)?"
            r"(?:going\s+to|going\s+2|goin\s+to|gonna|gona|gunna|about\s+to|planning\s+to|"
            r"planning\s+on|ready\s+to|fixing\s+to|finna)\s+(?:just\s+|finally\s+|go\s+)?"
            r"(?:kil+\s*(?:my\s*self|myself|me\b)|kms|end\s+(?:it|my|things)|"
            r"off\s+myself|unalive|do\s+it|jump|overdose|od\b|hang|shoot\s+myself|die\s+tonight|"
            r"climb\s+(?:over\s+(?:the\s+)?(?:railing|rail|edge|barrier|side)|over(?=\s*(?:$|[.!;\n]))|"
            r"the\s+(?:railing|rail|barrier|ledge))|"
            r"take\s+(?:all|every|the\s+whole|the\s+rest|them\s+all|(?:my|the|those|these)\s+(?:\w+\s+)?"
            r"(?:pills|meds))|swallow|drink\s+(?:the|it|all|bleach|antifreeze)|"
            r"cut\s+my|crash|drive\s+(?:my\s+car\s+)?(?:into|off)|drown|go\s+through\s+with|"
            r"not\s+be\s+(?:here|around|alive)|be\s+gone|say\s+goodbye|step\s+in\s+front|"
            r"walk\s+into)",
            r"{ILL}\s+(?:just\s+|finally\s+|definitely\s+)?(?:kill\s+myself|end\s+(?:it|my|things)|"
            r"do\s+it|"
            r"jump|overdose|hang|shoot\s+myself|take\s+(?:all|them|the\s+pills|every|my\s+pills)|"
            r"be\s+dead|be\s+gone|not\s+be\s+(?:here|around|alive)|swallow|drown|crash|"
            r"go\s+through\s+with)",
            r"\b{IVE}\s+(?:decided|made\s+up\s+my\s+mind)\b(?!\s+(?:to\s+(?:stay|live|get|call|go\s+"
            r"to\s+(?:the\s+)?(?:er|hospital|therapy|school|college))|not))",
            r"\b(?:this\s+is|it{A}s|its)\s+my\s+last\s+(?:night|day|message|text|goodbye|time)\b",
            r"\bi\s+won{A}t\s+be\s+(?:here|alive|around)\s+(?:tomorrow|much\s+longer|by|after|in\s+the"
            r"\s+morning|any\s*more|next)\b",
            r"\b(?:doing|going\s+through\s+with)\s+it\s+(?:tonight|today|now|soon|this)\b",
            r"\b(?:came|drove|went|walked|got)\s+(?:out\s+|up\s+|down\s+)?(?:here|there)\s+to\s+"
            r"(?:do\s+it|end\s+it|die|kill\s+myself|jump)\b",
            r"{IM}\s+doing\s+it\b(?!\s+(?:because|as\s+a|so\s+that|right|wrong|anyway|for\s+(?:my|a|the|"
            r"class|school|work)))|\bit\s+(?:ends|will\s+end)\s+(?:tonight|today)\b",
            r"{IM}\s+(?:ending|killing)\s+(?:it|myself|my\s+life|things)\b",
            r"\bi\s+will\s+(?:not|never)\s+be\s+(?:here|alive)\s+(?:tomorrow|much)",
            r"\b(?:ima|imma|i\s*['’`]?ma)\s+(?:just\s+)?(?:kill|unalive|end|off|do\s+it|jump|overdose|"
            r"od\b|hang|shoot)",
            r"(?:{IM}\s+(?:going\s+to|gonna)|{ILL})\b[^.!?\n]{0,40}?\b(?:kill|shoot|hang|drown|cut)\s+"
            r"myself\b",
        ),
        ALL,
    ),
    Rule(
        "indicator",
        "expressed_intent",
        _x(
            r"\b(?:finna|gonna|bout\s+to|about\s+to)\s+(?:od\b|overdose|kms|"
            r"kill\s+myself|end\s+it|unalive|jump|hang\s+myself)",
        ),
        ALL,
    ),
    Rule(
        "indicator",
        "preparatory_behaviour",
        _x(
            r"\b(?:wrote|written|writing|write|left|leaving|finished|typed|typing)\s+(?:a\s+|my\s+|the\s+|"
            r"some\s+|all\s+my\s+)?(?:suicide\s+|goodbye\s+|last\s+|final\s+)?(?:note|notes|letter|letters|"
            r"goodbye(?:\s+(?:letter|note|message|video|texts?))?s?)\b"
            r"(?!\s+(?:to|for|on|about)\s+(?:my\s+|the\s+|a\s+)?(?:roommate|teacher|professor|boss|"
            r"landlord|neighbou?r|coworker|school|work|class|therapist|doctor|fridge|door|desk|"
            r"recommendation|complaint|apology|resignation|grief|santa)|\s+of\s+|\s+(?:for|in)\s+"
            r"(?:therapy|class|school|group))(?!\s+to\s+(?:my\s+)?(?:younger|future|past|old|teen(?:age)?|"
            r"\d+[\s-]year[\s-]old)\b)",
            r"\b(?:wrote|written|writing)\s+(?:a\s+|my\s+)?(?:letters?|notes?)\s+(?:to|for)\s+(?:everyone|"
            r"everybody|all\s+of\s+you|my\s+(?:family|kids|parents|friends))\b",
            r"\bsuicide\s+(?:note|letter)\b|\bgoodbye\s+(?:letter|note|message|video|texts?)\b",
            r"\b(?:said|saying|say)\s+(?:my\s+)?goodbyes?\s+(?:to|tonight|already)\b",
            r"\b(?:this\s+is|just\s+wanted\s+to\s+say|wanted\s+to\s+say)\s+goodbye\b",
            r"\b(?:gave|giving|give|given)\s+(?:away\s+)?(?:my|all\s+my|all\s+of\s+my)\s+(?:stuff|things|"
            r"belongings|cat|dog|clothes|games|money|jewelry|plants|guitar|savings|room|pets?)\b",
            r"\bgiving\s+(?:\w+\s+){0,2}away\b",
            r"\b(?:made|making|wrote|updated|writing)\s+(?:a|my)\s+will\b",
        ),
        ALL,
    ),
    Rule(
        "indicator",
        "preparatory_behaviour",
        _x(
            r"\b(?:deleted|deleting)\s+(?:all\s+)?(?:my\s+)?(?:accounts|social\s+media|instagram|"
            r"photos|everything)\b",
            r"\b(?:affairs|things)\s+in\s+order\b|\bfound\s+a\s+(?:new\s+)?home\s+for\s+my\b",
            r"\bwho\s+(?:will|would)\s+take\s+care\s+of\s+my\s+\w+\s+(?:after|when)\b",
            r"\b(?:please|can\s+you|could\s+you|will\s+you|make\s+sure\s+(?:you\s+)?|just)\s+"
            r"tell\s+(?:my\s+\w+|them|her|him|everyone)\s+(?:that\s+)?i\s+(?:love|loved)\s+"
            r"(?:them|her|him|you)\b",
            r"\b(?:saving|saved|stockpiling|stockpiled|hoarding|hoarded|collecting|collected|stashing|"
            r"stashed)\s+(?:up\s+)?(?:my\s+|all\s+my\s+|a\s+bunch\s+of\s+|enough\s+)?(?:\w+\s+)?"
            r"(?:pills|meds|medications?|prescriptions|tablets)\b",
            # a named medicine kept back now ("been saving my sertraline"), not a story's past
            r"\b(?:saving|stockpiling|hoarding|stashing|collecting)\s+(?:up\s+)?(?:my\s+|all\s+my\s+|"
            rf"enough\s+)?(?:\w+\s+)?{_DRUGS}\b",
            r"\b(?:set|picked|chose|chosen|decided\s+on)\s+(?:a|the|my)\s+date\b|\bthe\s+date\s+is\s+set\b",
            r"\b(?:said|saying|texted|sent|say)\s+(?:my\s+)?(?:last\s+|final\s+)?goodbyes?\b",
            r"\b(?:my|a)\s+(?:last|final)\s+goodbye\b",
        ),
        ALL,
    ),
    # Means acquired: counts when risk is said in the transcript ("I bought a rope" after "I want
    # to die"), not on its own ("bought razors", "got a gun for hunting season").
    Rule(
        "indicator",
        "preparatory_behaviour",
        _x(
            r"\b(?:bought|ordered|purchased|picked\s+up|got\s+(?:myself\s+)?)\s+(?:a\s+|an\s+|the\s+|"
            r"some\s+|more\s+|new\s+|enough\s+)?(?:rope|noose|gun|pistol|handgun|rifle|shotgun|bullets|"
            r"ammo|charcoal|helium|razors?|razor\s+blades|blades|rat\s+poison|antifreeze|"
            r"(?:\w+\s+)?pills|tylenol|sleeping\s+pills)\b",
        ),
        ALL,
        strong=False,
    ),
    # ---- buffers -----------------------------------------------------------------------------
    Rule(
        "indicator",
        "social_support",
        _x(
            rf"\bmy\s+(?:\w+\s+)?{_KIN}\s+(?:is|are|was|has\s+been|have\s+been|will\s+be|{{A}}s|"
            r"{A}re)\s+(?:\w+\s+)?(?:here|with\s+me|coming|on\s+(?:her|his|their|the)\s+way|"
            r"checking\s+on\s+me|staying\s+with\s+me|supportive|there\s+for\s+me|helping|picking\s+me)",
            rf"\bi\s+(?:can|could|will|{{A}}ll|might|want\s+to|am\s+going\s+to)\s+(?:call|text|talk\s+to|"
            rf"reach\s+out\s+to|stay\s+with|go\s+to)\s+my\s+(?:\w+\s+)?{_KIN}\b",
            r"\bi\s+have\s+(?:good\s+|some\s+|a\s+few\s+|great\s+|close\s+)?(?:friends|people|someone|"
            r"support|a\s+good\s+support)\b",
            r"\b(?:they|she|he)\s+(?:really\s+)?(?:love|loves|care\s+about|cares\s+about)\s+me\b",
            rf"\bstaying\s+(?:with|at)\s+my\s+{_KIN}",
        ),
        NEG | HYP | JOKE | PAST,
    ),
    Rule(
        "indicator",
        "reasons_for_living",
        _x(
            r"\bmy\s+(?:kids?|children|son|daughter|baby|babies|dog|cat|pets?|little\s+(?:brother|"
            r"sister)|mom|family|grandkids|nephew|niece)\s+(?:need|needs|would\s+be\s+(?:devastated|"
            r"heartbroken|crushed|destroyed)|would\s+miss\s+me|keeps?\s+me\s+going|(?:is|are)\s+why|"
            r"(?:is|are)\s+the\s+reason)\b",
            r"\b(?:still\s+here|stay(?:ing)?\s+alive|keep(?:s|ing)?\s+(?:me\s+)?going|hold(?:ing)?\s+on|"
            r"hanging\s+on)\s+(?:for|because\s+of)\s+(?:my\s+)?\w+",
            r"\b(?:can{A}t|couldn{A}t|won{A}t|wouldn{A}t|don{A}t\s+want\s+to|i{A}d\s+never|"
            r"i\s+would\s+never|i\s+could\s+never)\s+(?:do\s+(?:that|this|"
            r"it)\s+to|leave|hurt|abandon)\s+my\s+(?:\w+\s+)?(?:kids?|children|son|daughter|mom|"
            r"mother|dad|father|family|sister|brother|dog|cat|parents|wife|husband|partner)\b",
            r"\breasons?\s+to\s+(?:live|stay|keep\s+going)\b",
            r"\b(?:my\s+faith|god)\s+(?:won{A}t\s+let\s+me|keeps\s+me)\b",
            r"\b(?:want|need)\s+to\s+(?:see|be\s+there\s+for|watch)\s+my\s+\w+\s+(?:grow\s+up|"
            r"graduate|get\s+married)",
        ),
        HYP | JOKE | THIRD,
    ),
    Rule(
        "indicator",
        "future_plans",
        _x(
            r"\b(?:next|this\s+coming)\s+(?:week|month|year|summer|semester|fall|spring)\s+i"
            r"(?:{A}m|{A}ll|\s+will|\s+am|\s+want|\s+have|\s+get|{A}ve)\b",
            r"{IM}\s+(?:(?:starting|going\s+to\s+start)\s+(?:a\s+new|my\s+new|college|school|"
            r"university|work|therapy|a\s+job|classes)|moving|graduating|going\s+back\s+to|"
            r"getting\s+married|having\s+a\s+baby)\b",
            r"\blooking\s+forward\s+to\b",
            r"\bi\s+(?:want|hope|plan)\s+to\s+(?:finish|graduate|travel|become|start|visit|"
            r"open|learn)\b",
            r"\b(?:i\s+have|{IVE}\s+got|got)\s+(?:a|an|my)\s+(?:job\s+interview|interview|concert|"
            r"trip|game|recital|tryouts?)\s+(?:tomorrow|next|on|this)\b|\btickets\s+to\b",
        ),
        NEG | HYP | JOKE | THIRD,
    ),
    Rule(
        "indicator",
        "engaged_with_help",
        _x(
            r"\bmy\s+(?:therapist|counsel+or|psychiatrist|psychologist|case\s+manager|social\s+worker|"
            r"care\s+team|psych)\b",
            r"\b(?:see|saw|have|started\s+seeing|seeing)\s+(?:a|my)\s+(?:therapist|counsel+or|"
            r"psychiatrist|psychologist)\b|\bin\s+therapy\b|\bsafety\s+plan\b",
            r"\b(?:on|taking|started)\s+(?:antidepressants|meds\s+for\s+(?:depression|anxiety)|"
            r"medication\s+for\s+(?:depression|anxiety|my))\b",
            r"\b(?:called|texted|will\s+call|{A}ll\s+call|can\s+call|going\s+to\s+call|gonna\s+call)\s+"
            r"(?:988|911|the\s+hotline|a\s+hotline|the\s+crisis\s+line|my\s+therapist|my\s+doctor)\b",
            r"(?:{ILL}|\bi\s+can|\bi\s+could|{IM}\s+going\s+to|{IM}\s+gonna)\s+(?:go\s+to\s+the\s+"
            r"(?:er|hospital|emergency\s+room)|get\s+help|ask\s+for\s+help|talk\s+to\s+someone|"
            r"tell\s+my\s+(?:therapist|doctor|counsel+or|mom|dad|parents))\b",
        ),
        NEG | HYP | JOKE | THIRD,
    ),
    Rule(
        "indicator",
        "ambivalence",
        _x(
            r"\bpart\s+of\s+me\b|\b(?:torn|conflicted)\b",
            r"\b(?:don{A}t|do\s+not|dont)\s+(?:really\s+|actually\s+)?want\s+to\s+die\b",
            r"{IM}\s+(?:so\s+|really\s+)?(?:scared|afraid|terrified)\s+(?:of\s+(?:myself|what\s+i\s+"
            r"(?:might|could)\s+do|dying|doing\s+it)|i{A}ll|i\s+might|to\s+(?:die|do\s+it))",
            r"\bi\s+(?:want|wanna)\s+to\s+(?:live|get\s+better|be\s+okay|feel\s+better|be\s+happy)\b",
            r"\bi\s+don{A}t\s+know\s+if\s+i\s+(?:want|can|really|should)\b",
            r"\bi\s+(?:wish|want)\s+(?:someone|somebody)\s+(?:would\s+)?(?:stop|help|save)\s+me\b",
        ),
        HYP | JOKE | THIRD | LYRIC,
    ),
    # ---- attempts: the engine decides in progress versus history from the tense and markers ----
    Rule(
        "attempt",
        "act",
        _x(
            rf"\bi\s+(?:just\s+|already\s+|finally\s+|literally\s+)?(?:took|swallowed|ate|downed|"
            rf"popped|chugged|injected)\s+(?:like\s+)?(?:{_NUM}\s+)?(?:of\s+)?(?:my\s+|the\s+|his\s+|"
            rf"her\s+|mom{{A}}s\s+|dad{{A}}s\s+)?(?:\w+\s+){{0,2}}?(?:{_PILLS}|💊|bottle|\d+\s*mg)",
            rf"\bi\s+(?:just\s+|already\s+)?(?:took|swallowed|downed|popped)\s+{_NUM}\b",
            r"\bi\s+(?:just\s+|already\s+)?(?:drank|drunk|swallowed)\s+(?:some\s+|the\s+|a\s+"
            r"(?:cup|glass|bottle)\s+of\s+)?(?:bleach|antifreeze|poison|rat\s+poison|drain\s+cleaner"
            r"|pesticide|lye)",
            r"\b{IVE}\s+(?:just\s+|already\s+)?(?:taken|swallowed|downed|popped|drunk|overdosed)\b",
            r"\bi\s+(?:just\s+|already\s+)?(?:overdosed|od{A}d|od{A}ed)\b",
            r"\bi\s+(?:just\s+|already\s+)(?:cut|slit|hung|jumped|shot|stabbed)\b",
            r"\bi\s+(?:cut|slit)\s+(?:my\s+)?(?:wrists?|throat|(?:really\s+|so\s+|very\s+|too\s+)?deep)\b",
            r"\bi\s+(?:just\s+|already\s+)?(?:took|swallowed|downed|popped)\s+(?:everything|them\s+all|"
            r"all\s+of\s+them|it\s+all)\b",
            rf"\b(?:just\s+|already\s+)?(?:took|swallowed|downed|popped)\s+(?:{_NUM}\s+)?(?:of\s+)?(?:my\s+|the\s+)?(?:\w+\s+){{0,2}}?(?:{_PILLS}|💊|them\s+all|"
            rf"all\s+of\s+them|everything)",
        ),
        NEG | HYP | THIRD | LYRIC,
    ),
    Rule(
        "attempt",
        "tried",
        _x(
            r"\b(?:tried|attempted|tryed)\s+(?:to\s+)?(?:kill|kil|hang|end|od\b|overdose|off|unalive|"
            r"drown|shoot|jump|suicide)\w*",
            r"\btried\s+to\s+die\b",
            r"\b(?:was|were|me|while)\s+(?:trying|tryin)\s+to\s+(?:kill|hang|overdose|drown|shoot|"
            r"unalive)\w*",
        ),
        NEG | HYP | THIRD | LYRIC,
    ),
    Rule(
        "attempt",
        "state",
        _x(
            r"{IM}\s+(?:bleeding(?:\s+out|\s+a\s+lot|\s+so\s+much|\s+everywhere)?|losing\s+(?:a\s+lot"
            r"\s+of\s+)?blood|getting\s+(?:really\s+)?(?:dizzy|sleepy|drowsy)|throwing\s+up|"
            r"starting\s+to\s+feel\s+(?:it|them|the\s+pills|dizzy|sleepy))\b",
            r"\b(?:pills|meds|they)\s+(?:are\s+)?(?:kicking\s+in|starting\s+to\s+work)\b",
            r"\bi\s+can\s+feel\s+(?:the\s+pills|them\s+working|it\s+working)\b",
            r"\bcan{A}t\s+stop\s+(?:the\s+)?bleeding\b",
            r"\b(?:there{A}s|there\s+is)\s+(?:so\s+much|a\s+lot\s+of|blood\s+everywhere)\b(?:\s+blood)?",
            r"\b(?:it{A}s|its)\s+(?:soaking|bleeding)\s+through\b",
            r"{IM}\s+(?:so\s+|really\s+|very\s+|getting\s+)?(?:lightheaded|light\s+headed)\b",
        ),
        NEG | HYP | THIRD | LYRIC | JOKE,
    ),
    Rule(
        "attempt",
        "danger",
        _x(
            r"\b(?:the\s+)?(?:rope|noose|belt|cord)\s+is\s+(?:around|on)\s+my\s+neck\b",
            r"\b(?:the\s+)?(?:gun|barrel)\s+is\s+(?:in|against|to)\s+my\s+(?:mouth|head|temple)\b",
            r"\b(?:the\s+)?(?:car|engine)\s+is\s+running\s+in\s+the\s+garage\b",
        ),
        NEG | HYP | THIRD | LYRIC | JOKE,
    ),
    Rule(
        "attempt",
        "location",
        _x(
            r"{IM}\s+(?:(?:standing|sitting|sat|up|out|already|parked)\s+)?(?:in\s+(?:the|my|a)\s+(?:car|"
            r"truck)\s+)?(?:on|at|in|on\s+top\s+of|up\s+on)"
            r"\s+(?:the|a|this|my)\s+(?:edge|ledge|bridge|roof|rooftop|railing|tracks|train\s+tracks|"
            r"railroad\s+tracks|top\s+floor|parking\s+garage|cliff|balcony|overpass|top\s+of\s+the)\b",
        ),
        NEG | HYP | THIRD | LYRIC | JOKE,
    ),
    # ---- means: strong phrases count alone; weak words need risk in the same message ------------
    Rule(
        "means",
        "firearm",
        _x(
            r"\bshoot(?:ing)?\s+myself\b|\bblow\s+my\s+(?:brains|head)\s+(?:out|off)\b|🔫",
            r"\bgun\s+(?:to|in|against)\s+my\s+(?:head|mouth|temple)\b",
            r"\bbullet\s+(?:in|through)\s+my\s+(?:head|brain)\b",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
    ),
    Rule(
        "means",
        "firearm",
        _x(
            r"\b(?:guns?|pistol|rifle|shotgun|handgun|firearms?|glock|revolver|ammo|bullets?|9mm)\b"
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
        strong=False,
    ),
    Rule(
        "means",
        "medication",
        _x(
            r"\b(?:overdose|overdosing|overdosed|od|o\.d\.?|od{A}ing|od{A}d)\b|💊",
            r"\b\d{2,5}\s*(?:mg|mgs|milligrams|mcg)\b",
            r"\b(?:whole|entire|full)\s+(?:bottle|bottles|pack|packet|box|blister|sheet)s?\b",
            rf"\bbottles?\s+of\s+(?:my\s+|the\s+|her\s+|his\s+)?{_PILLS}",
            rf"\b{_NUM}\s+(?:of\s+(?:my|the|these|those|her|his)\s+)?(?:\w+\s+)?{_PILLS}\b",
            r"\btake\s+all\s+(?:of\s+)?(?:my|the|these|those)\s+(?:pills|meds|medication)",
            r"\b(?:saving|saved|stockpiling|stockpiled|hoarding|collecting)\s+(?:up\s+)?(?:my\s+)?"
            r"(?:pills|meds|medication)",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
    ),
    Rule(
        "means",
        "medication",
        _x(rf"\b{_PILLS}\b"),
        NEG | HYP | THIRD | JOKE | LYRIC,
        strong=False,
    ),
    Rule(
        "means",
        "heights",
        _x(
            r"\bjump(?:ing)?\s+(?:off|from|out\s+of)\b|\bthrow(?:ing)?\s+myself\s+(?:off|from)\b",
            r"\b(?:want|wanna|going|gonna|about|ready)\s+(?:to\s+)?jump\b",
            r"\b(?:jump|jumping|leap)\b(?=[^.!?\n]{0,40}\b(?:bridge|roof|building|window|floor|ledge|"
            r"cliff|balcony|overpass|garage))",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
    ),
    Rule(
        "means",
        "heights",
        _x(
            r"\b(?:bridge|rooftop|roof|ledge|cliff|balcony|overpass|parking\s+garage|tall\s+building|"
            r"top\s+floor|\d{1,2}(?:th|st|nd|rd)\s+floor)\b"
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
        strong=False,
    ),
    Rule(
        "means",
        "vehicle",
        _x(
            r"\b(?:crash|wreck|drive|driving|swerve|swerving|run)\s+(?:my|the)\s+car\s+(?:into|off)\b",
            r"\b(?:drive|driving|drove|swerve|swerving|steer|steering|crash|crashing)\s+(?:my\s+car\s+)?"
            r"(?:into|off)\s+(?:a\s+|the\s+|an\s+)?(?:oncoming\s+)?(?:tree|wall|bridge|cliff|traffic|"
            r"truck|river|lake|pole|semi|median|overpass|guard\s*rail)",
            r"\b(?:step|stepping|walk|walking|jump|throw\s+myself|lie|lay|lying)\s+(?:down\s+)?"
            r"(?:in\s+front\s+of|into|onto|on)\s+(?:a|the)\s+(?:train|bus|truck|traffic|car|tracks|"
            r"highway|freeway|semi)\b",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
    ),
    Rule(
        "means",
        "vehicle",
        _x(r"\b(?:train\s+tracks|railroad|the\s+tracks|highway|freeway|oncoming\s+traffic)\b"),
        NEG | HYP | THIRD | JOKE | LYRIC,
        strong=False,
    ),
    Rule(
        "means",
        "cutting",
        _x(
            r"\b(?:slit|slice|slash|cut|cutting|open)\s+(?:my|both)\s+(?:wrists?|throat|veins?)\b",
            r"\bcut\s+(?:deep|deeper|too\s+deep|vertical)|\bbleed\s+out\b|🔪",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
    ),
    Rule(
        "means",
        "cutting",
        _x(r"\b(?:razors?|blades?|knife|knives|box\s+cutter|scissors)\b"),
        NEG | HYP | THIRD | JOKE | LYRIC,
        strong=False,
    ),
    Rule(
        "means",
        "hanging",
        _x(
            r"\bhang(?:ing)?\s+myself\b|\bnoose\b",
            r"\b(?:rope|belt|cord)\s+(?:is\s+)?(?:around|on)\s+my\s+neck\b",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
    ),
    Rule(
        "means",
        "hanging",
        _x(r"\b(?:rope|ropes|extension\s+cord|ceiling\s+fan|closet\s+rod)\b"),
        NEG | HYP | THIRD | JOKE | LYRIC,
        strong=False,
    ),
    Rule(
        "means",
        "poison",
        _x(
            r"\b(?:drink|drank|drinking|swallow|swallowed|eat|ate)\s+(?:some\s+|the\s+)?(?:bleach|"
            r"antifreeze|rat\s+poison|poison|pesticide|drain\s+cleaner|weed\s+killer|lye)",
            r"\bcarbon\s+monoxide\b|\b(?:car|engine)\s+(?:is\s+)?running\s+in\s+the\s+garage\b",
            r"\bgas\s+myself\b|\b(?:burn|burning|bought|buy|light|lit)\s+(?:\w+\s+)?charcoal\b",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
    ),
    Rule(
        "means",
        "poison",
        _x(r"\b(?:bleach|antifreeze|rat\s+poison|poison|pesticide|drain\s+cleaner)\b"),
        NEG | HYP | THIRD | JOKE | LYRIC,
        strong=False,
    ),
    Rule(
        "means",
        "other",
        _x(
            r"\bdrown(?:ing)?\s+myself\b|\bwalk\s+into\s+the\s+(?:ocean|sea|lake|river|water)\b",
            r"\bset\s+myself\s+on\s+fire\b|\bsuffocate\s+myself\b|\bstarve\s+myself\b",
            r"\bplastic\s+bag\s+over\s+my\s+head\b",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC,
    ),
    # ---- timeframe: "near" within about two days; "weak" ones need intent in the sentence ------
    Rule(
        "timeframe",
        "near",
        _x(
            r"\b(?:tonight|tonite|2nite|this\s+(?:morning|afternoon|evening|weekend|week)|tomorrow|"
            r"tmrw|tmr|later\s+today)\b",
            r"\bin\s+(?:a\s+few|a\s+couple(?:\s+of)?|an|a|\d{1,2}|one|two|three|ten|twenty|thirty)"
            r"\s+(?:minutes?|mins?|hours?|hrs?)\b",
            r"\b(?:after|once|when)\s+(?:they|everyone|everybody|my\s+\w+|he|she|mom|dad|the\s+kids)"
            r"(?:{A}s|{A}re|\s+is|\s+are|\s+has|\s+have)?\s+(?:leave|leaves|left|gone|go\s+to\s+"
            r"(?:bed|sleep)|goes\s+to\s+(?:bed|sleep)|fall\s+asleep|falls\s+asleep|asleep|at\s+work|"
            r"get\s+home|gets\s+home|out|go\s+out|goes\s+out)\b",
            r"\bbefore\s+(?:morning|sunrise|school|work|they\s+get\s+(?:home|back)|anyone\s+wakes)",
            r"\b(?:this|on)\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
            r"\b(?:at|by)\s+(?:midnight|\d{1,2}(?::\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.))\b",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC | PAST,
    ),
    Rule(
        "timeframe",
        "later",
        _x(
            r"\b(?:next\s+(?:week|month|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
            r"on\s+my\s+birthday|after\s+(?:the|my)\s+(?:funeral|exam|exams|finals|shift|graduation|"
            r"wedding|holidays)|after\s+christmas|new\s+year{A}s)\b",
        ),
        NEG | HYP | THIRD | JOKE | LYRIC | PAST,
    ),
    Rule(
        "timeframe",
        "weak",
        _x(r"\b(?:right\s+now|today|soon|now)\b"),
        NEG | HYP | THIRD | JOKE | LYRIC | PAST,
        strong=False,
    ),
    # ---- other findings -----------------------------------------------------------------------
    Rule(
        "risk_to_others",
        "risk to others",
        _x(
            r"(?:\bi|{IM}|{ILL}|\bgonna|\bgoing\s+to|\bwant\s+to|\bwanna)\s+(?:\w+\s+){0,3}?"
            r"(?:hurt|kill|shoot|stab|beat\s+up|strangle|murder|poison|get\s+back\s+at)\s+(?:him|her|"
            r"them|my\s+(?!self\b)\w+|everyone|everybody|someone|somebody|people|those\s+\w+|"
            r"that\s+\w+|the\s+(?!pain\b)\w+|all\s+of\s+them)\b",
            r"\btake\s+(?:them|him|her|everyone|everybody|my\s+\w+|the\s+kids|people)\s+"
            r"(?:down\s+)?with\s+me\b",
            r"\bshoot\s+up\s+(?:the|my|a|our)\s+(?:school|office|work|party|class|church|store)\b",
            r"\bmak(?:e|ing)\s+(?:them|him|her|everyone|them\s+all)\s+pay\b",
        ),
        NEG | HYP | JOKE | LYRIC | THIRD,
    ),
    Rule(
        "minor",
        "age",
        _x(
            r"{IM}\s+(?:only\s+|just\s+)?(?:1[0-7]|[89]|nine|ten|eleven|twelve|thirteen|fourteen|"
            r"fifteen|sixteen|seventeen)\b(?:\s*(?:years?\s*old|yrs?\s*old|yrs?|yo|y/o|y\.o\.))?"
            r"(?!\s*(?:pills|weeks|days|hours|minutes|mins|months|mg|miles|percent|%|dollars|bucks|"
            r"ft|feet|floors?|stories|grand|k\b|am|pm|o{A}clock|times|of|minutes|more|x|in\s+debt))",
            r"(?<!my\s)(?<!a\s)\b(?:1[0-7]|[89])\s*(?:years?\s*old|yrs?\s*old|yo|y/o)\b",
        ),
        HYP | THIRD | PAST | JOKE,
    ),
    Rule(
        "minor",
        "school",
        _x(
            r"\b(?:[5-9]th|1[0-2]th|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth)\s+"
            r"grade(?:r)?\b",
            r"\bmiddle\s+school\b|\bjunior\s+high\b|\b{IM}\s+in\s+high\s+school\b",
            r"\b(?:freshman|sophomore|junior|senior)\s+(?:in|at)\s+high\s+school\b",
            r"\bmy\s+(?:teacher|teachers|homeroom|principal|school\s+counsel+or|guidance\s+counsel+or)"
            r"\b",
        ),
        HYP | THIRD | PAST | JOKE,
    ),
    Rule(
        "minor",
        "parents",
        _x(
            r"\b(?:my\s+)?(?:mom|dad|parents?|mother|father|stepmom|stepdad|foster\s+\w+)\s+"
            r"(?:won{A}t|wont|doesn{A}t|don{A}t|will\s+not|never)\s+let\s+me\b",
            r"\b{IM}\s+grounded\b|\bgrounded\s+me\b|\b(?:took|take|taking)\s+(?:away\s+)?my\s+phone\b",
        ),
        HYP | THIRD | PAST | JOKE,
    ),
    Rule(
        "third_party",
        "someone else at risk",
        _x(
            rf"\b(?:my|a|our)\s+(?:\w+\s+)?(?:{_KIN}|classmate|coworker|neighbor|client|student)\b"
            r"[^.!?\n]{0,60}?\b(?:wants?\s+to\s+die|(?:is|{A}s)\s+suicidal|suicidal|kill\s+(?:him|her|"
            r"them)sel(?:f|ves)|end\s+(?:his|her|their)\s+life|cutting\s+(?:him|her|them)sel|"
            r"overdos(?:e|ing)|hurt\s+(?:him|her|them)sel(?:f|ves)|talking\s+about\s+(?:dying|suicide|"
            r"killing))",
            r"\b(?:he|she|they)\s*(?:{A}s|\s+is|\s+are|{A}re|\s+says|\s+said|\s+keeps|\s+wants|"
            r"\s+might|\s+will|{A}ll|\s+texted|\s+told\s+me)\b[^.!?\n]{0,40}?\b(?:wants?\s+to\s+die|"
            r"suicid\w*|kill\s+(?:him|her|them)sel(?:f|ves)|end\s+(?:his|her|their)\s+life|"
            r"overdos\w*|hurt\s+(?:him|her|them)sel)",
        ),
        NEG | HYP | JOKE | LYRIC,
    ),
)

# The same rules compiled without IGNORECASE, for the one pass over the lowercased text: the
# case-insensitive engine is about half as fast. Every pattern above is written in lowercase.
FAST_RULES: tuple[tuple[Rule, re.Pattern[str]], ...] = tuple(
    (rule, re.compile(rule.pattern.pattern)) for rule in RULES
)


def _ascii(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The same pattern with ASCII classes: the same matches in text that NOT_ASCII_SAFE does not
    find, where testing \\w, \\s and \\b no longer looks characters up in the Unicode tables."""
    return re.compile(pattern.pattern, (pattern.flags & ~re.UNICODE) | re.ASCII)


# Outside ASCII, and the four separators \x1c-\x1f that Unicode (not ASCII) counts as spaces:
# the only characters \w, \s, \d, \b or a case-insensitive letter read differently under re.ASCII.
NOT_ASCII_SAFE = re.compile(r"[^\x00-\x1b\x20-\x7f]")
# The rules for ASCII-safe messages: most chats are typed in ASCII.
ASCII_RULES: tuple[re.Pattern[str], ...] = tuple(_ascii(fast) for _rule, fast in FAST_RULES)

SUBSTANCES = _x(
    r"\b(?P<alcohol>drunk|drinking|beers?|vodka|whiskey|whisky|wine|alcohol|liquor|shots|tequila|"
    r"rum|hammered|wasted|white\s+claws?)\b"
    r"|\b(?P<cannabis>weed|stoned|edibles?)\b"
    r"|\b(?P<opioids>oxy|oxys|oxycodone|oxycontin|percocet|percs|vicodin|hydrocodone|fentanyl|fent|"
    r"heroin|morphine|methadone|codeine|tramadol)\b"
    r"|\b(?P<benzodiazepines>xanax|xannies|bars|valium|klonopin|ativan|benzos?)\b"
    r"|\b(?P<acetaminophen>tylenol|acetaminophen|paracetamol)\b"
    r"|\b(?P<nsaid>ibuprofen|advil|motrin|aleve|aspirin|excedrin)\b"
    r"|\b(?P<stimulants>coke|cocaine|meth|crack|adderall|molly|mdma)\b"
    r"|\b(?P<sleep_aids>ambien|benadryl|diphenhydramine|nyquil|sleeping\s+pills|melatonin)\b"
    r"|\b(?P<prescription>seroquel|lithium|insulin|sertraline|zoloft|prozac|lexapro|wellbutrin|"
    r"trazodone|gabapentin|antidepressants)\b"
    r"|\b(?P<pills>pills|meds)\b|(?P<pill_emoji>💊)"
    r"|\b(?P<high>high)\b(?!\s+(?:school|up|enough|ground|risk))"
)
SUBSTANCE_LABEL: dict[str, str] = {
    "alcohol": "alcohol",
    "cannabis": "cannabis",
    "opioids": "opioids",
    "benzodiazepines": "benzodiazepines",
    "acetaminophen": "acetaminophen (Tylenol)",
    "nsaid": "ibuprofen/aspirin",
    "stimulants": "stimulants",
    "sleep_aids": "sleep aids",
    "prescription": "prescription medication",
    "pills": "pills",
    "pill_emoji": "pills",
    "high": "drugs (says high)",
}

PLACES = _x(
    r"\b(?P<bridge>(?:golden\s+gate\s+)?bridge)\b|\b(?P<overpass>overpass)\b"
    r"|\b(?P<parking_garage>parking\s+(?:garage|deck|structure|ramp))\b"
    r"|\b(?P<roof>roof(?:top)?)\b|\b(?P<train_tracks>(?:train|railroad|railway)\s+tracks|"
    r"the\s+tracks|railroad)\b"
    r"|\b(?P<woods>woods|forest)\b|\b(?P<cliff>cliffs?)\b"
    r"|\b(?P<highway>highway|freeway|interstate)\b|\b(?P<water>river|lake|ocean|beach|pier|dam)\b"
    r"|\b(?P<balcony>balcony|ledge)\b|\b(?P<garage>garage)\b|\b(?P<bathroom>bathroom)\b"
    r"|\b(?P<car>my\s+car)\b|\b(?P<motel>motel|hotel)\b|\b(?P<park>park)\b(?!\s+(?:the|my|it))"
    r"|\b(?P<school>school)\b|\b(?P<dorm>dorm)\b|\b(?P<home>at\s+home|my\s+room|my\s+house)\b"
)
PLACE_LABEL: dict[str, str] = {
    "bridge": "bridge",
    "overpass": "overpass",
    "parking_garage": "parking garage",
    "roof": "roof",
    "train_tracks": "train tracks",
    "woods": "woods",
    "cliff": "cliff",
    "highway": "highway",
    "water": "water (river, lake, ocean)",
    "balcony": "balcony or ledge",
    "garage": "garage",
    "bathroom": "bathroom",
    "car": "car",
    "motel": "motel or hotel",
    "park": "park",
    "school": "school",
    "dorm": "dorm",
    "home": "home",
}
# Places are reported when the person says they are there or going there, or the message has risk.
PLACE_CUE = _x(
    r"{IM}\s+(?:\w+\s+)?(?:at|on|in|by|near|under|outside|inside|parked|sitting|standing|here)\b",
    r"\b(?:go|going|went|drive|driving|drove|walk|walking|walked|head|heading|headed|take\s+me|"
    r"gonna\s+go|way)\s+(?:to|towards?)\b",
)

# ---- context ---------------------------------------------------------------------------------
NEGATORS = re.compile(
    r"\b(?:never|not|no|nor|don['’`]?t|dont|doesn['’`]?t|didn['’`]?t|won['’`]?t|wont|wouldn['’`]?t|"
    r"can['’`]?t|cannot|cant|isn['’`]?t|aren['’`]?t|ain['’`]?t|shouldn['’`]?t|couldn['’`]?t|"
    r"haven['’`]?t|hasn['’`]?t|hadn['’`]?t|havent|hasnt|"
    r"no\s+longer|not\s+anymore|stopped|quit)\b(?P<rest>(?:\W+\w+){0,4})\W*$",
    re.IGNORECASE,
)
# A negator followed by one of these does not negate what comes after ("I can't stop thinking
# about killing myself", "I don't know, I want to die").
NEGATION_EXCEPT = re.compile(
    r"^\W+(?:stop|know|sure|help|even\s+know|care|understand|think\s+i\s+can|remember|deny|lie|"
    r"matter|want\s+to\s+(?:be\s+here|wake|live|exist)|one|body|longer\s+want|seriously|honestly|"
    r"stopped|been\s+able\s+to\s+stop|been\s+able\s+to\s+get|"
    r"for\s+real|joke|joking|kidding|lie)\b",
    re.IGNORECASE,
)
NEGATION_AFTER = re.compile(r"^\W{0,3}(?:\?\s*)?(?:no|nope|never|nah|not\s+really)\b", re.I)

HYPOTHETICAL = _x(
    r"\bwhat\s+if\s+(?:someone|somebody|a\s+person|people|you|a\s+friend)\b",
    r"\bhypothetical(?:ly)?\b|\bimagine\s+(?:if|someone|a)\b|\bsuppose\b|\bin\s+theory\b",
    r"\bfor\s+(?:a|my|our)\s+(?:school\s+|class\s+|english\s+|psych\s+|health\s+)?(?:project|essay|"
    r"paper|assignment|report|story|class|presentation|novel|book|screenplay|script)\b",
    r"\bin\s+(?:a|the|my)\s+(?:story|book|novel|movie|film|show|series|game|fic|fanfic|script)\b",
    r"\bmy\s+(?:character|oc|protagonist)\b|\bthe\s+(?:character|protagonist|main\s+character)\b",
    r"\bhow\s+(?:would|do|does|can)\s+(?:someone|somebody|a\s+person|people)\b",
    r"\bis\s+it\s+true\s+that\b|\bstatistic|\bresearch\s+paper\b",
    r"\bwarning\s+signs?\b|\bsigns\s+(?:of|to\s+(?:look|watch))\b|\brisk\s+factors?\b",
    r"\b(?:people|anyone|those)\s+who\b",
    r"\bif\s+(?:someone|somebody|a\s+friend|a\s+loved\s+one|you\s+(?:notice|see\s+(?:someone|signs)|"
    r"ever\s+feel|know\s+someone|think\s+someone|are\s+worried|{A}re\s+worried|feel\s+like\s+"
    r"(?:ending|killing|dying|you\s+want)))\b",
)
JOKE_RE = _x(
    r"\b(?:lol+|lmf?ao+|rofl|haha\w*|hehe\w*|jk|j/k|just\s+kidding|kidding|jokes?|joking)\b",
    r"😂|🤣|😆|😹|💀(?=[^.!?\n]*(?:lol|lmao|haha))",
    r"\b(?:exam|test|homework|class|work|this\s+heat|my\s+feet|traffic|the\s+wait|this\s+song)\s+"
    r"(?:is|are)\s+(?:literally\s+)?killing\s+me\b",
)
NOT_JOKING = _x(
    r"\b(?:not|no)\s+(?:joking|kidding|a\s+joke)\b|\bi{A}m\s+serious\b|\bseriously\b|\bfor\s+real\b|"
    r"\bfr\b|\bno\s+cap\b|\bi\s+mean\s+it\b|\bdead\s+serious\b"
)
LYRIC_RE = _x(
    r"\b(?:song|songs|lyric|lyrics|sings|singing|sang|album|track|rapper|band|verse|chorus|"
    r"playlist|poem|poetry|quote|quoting|the\s+line\s+in|meme|tiktok\s+sound)\b|🎵|🎶"
)
REPORTED = _x(
    r"\b(?:he|she|they|my\s+\w+|friend|someone|somebody|people)\s+(?:\w+\s+)?(?:said|says|texted|"
    r"wrote|posted|told\s+(?:me|us|everyone)|keeps\s+saying|kept\s+saying|messaged\s+me)\b"
)
SUBJECT = re.compile(
    r"\b(?P<first>i|i['’`]?m|im|i['’`]?ve|ive|i['’`]?ll|i['’`]?d|ima|imma|myself|we)\b"
    r"|\b(?P<third>he|she|they|he['’`]?s|she['’`]?s|they['’`]?re|hes|shes|theyre|someone|somebody|"
    r"a\s+person|you|u|you['’`]?re|youre|ur|yourself|"
    r"(?:kid|son|daughter|child|teen(?:ager)?|year-old|friend|brother|sister|student|patient|"
    r"client)\s+who|"
    r"my\s+(?:\w+\s+)?(?:friend|friends|sister|brother|mom|mum|mother|dad|father|cousin|girlfriend|"
    r"boyfriend|gf|bf|partner|roommate|classmate|son|daughter|kid|husband|wife|coworker|uncle|aunt|"
    r"grandma|grandpa|neighbor|student|client|bestie|bff)|(?-i:[A-Z][a-z]+)\s+(?=(?:is|says|said|"
    r"wants|keeps|told)\b))\b",
    re.IGNORECASE,
)
PAST_MARKERS = _x(
    r"\bused\s+to\b|\b(?:\d+|a\s+few|a\s+couple(?:\s+of)?|several|many|two|three|four|five|ten)\s+"
    r"(?:years?|months?|weeks?|yrs?)\s+ago\b|\ba\s+(?:year|month|while)\s+ago\b",
    r"\bwhen\s+i\s+was\s+(?:a\s+kid|younger|little|a\s+teen(?:ager)?|in\s+(?:high\s+school|college|"
    r"middle\s+school|\w+\s+grade)|\d+|pregnant|married)\b",
    r"\bback\s+(?:then|in)\b|\bin\s+the\s+past\b|\blast\s+(?:year|summer|spring|fall|winter|month)\b",
    r"\bas\s+a\s+(?:kid|teen|teenager|child)\b|\bin\s+(?:19|20)\d\d\b",
    r"\bonce\s+before\b|\b(?:twice|three\s+times|a\s+few\s+times)\s+before\b|\bbefore\b(?!\s+(?:they|"
    r"morning|school|work|anyone|my|he|she|it))",
    r"\b(?:hospitali[sz]ed|inpatient|psych\s+ward|the\s+er\s+after|pumped\s+my\s+stomach|rehab)\b",
    r"\b(?:years|ages)\s+ago\b|\bwhen\s+i\s+was\s+\d+\b",
    r"\bthe\s+(?:night|day|time|morning|evening|week|weekend|summer|winter|year)\s+(?:that\s+|when\s+)?i\b",
    r"\b(?:woke\s+up|ended\s+up|wound\s+up|came\s+to)\s+(?:in|at)\s+(?:the\s+)?(?:hospital|er|icu|"
    r"psych|emergency)|\bafter\s+my\s+(?:attempt|overdose)\b",
)
# Told as a story: an aftermath later in the same message makes an act history ("I swallowed
# everything in the cabinet. I woke up in the ICU").
AFTERMATH = _x(
    r"\b(?:woke\s+up|ended\s+up|wound\s+up|came\s+to|spent\s+\w+\s+days?)\s+(?:in|at)\s+(?:the\s+)?"
    r"(?:hospital|er|icu|psych|emergency|ward)",
    r"\bpumped\s+my\s+stomach\b|\b(?:they|someone|my\s+\w+)\s+found\s+me\b|\bi\s+survived\b",
    r"\b(?:was|got)\s+(?:hospitali[sz]ed|discharged|admitted)\b|\bpsych\s+ward\b",
)
# How long ago an attempt was, as the text says it; the headline quotes it.
ATTEMPT_WHEN = _x(
    r"\b(?:last|this\s+past|this)\s+(?:night|week|weekend|month|year|summer|spring|fall|autumn|"
    r"winter|christmas)\b|\byesterday\b|\brecently\b|\bearlier\s+this\s+(?:week|month|year)\b",
    r"\b(?:\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a\s+few|"
    r"a\s+couple(?:\s+of)?|several|many)\s+(?:days?|weeks?|months?|years?|yrs?)\s+ago\b",
    r"\bin\s+(?:19|20)\d\d\b|\bwhen\s+i\s+was\s+(?:\d{1,2}|a\s+teen(?:ager)?|a\s+kid|younger|"
    r"in\s+(?:high\s+school|college|middle\s+school))\b|\bas\s+a\s+(?:teen(?:ager)?|kid)\b",
    r"\bin\s+(?:high\s+school|college|middle\s+school)\b",
)
# Which of those are within about two months.
ATTEMPT_RECENT = _x(
    r"^(?:last|this\s+past|this)\s+(?:night|week|weekend|month)$|^yesterday$|^recently$",
    r"^earlier\s+this\s+(?:week|month)$",
    r"^(?:\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a\s+few|"
    r"a\s+couple(?:\s+of)?|several|many)\s+days?\s+ago$",
    r"^(?:[1-8]|a|one|two|three|four|five|six|seven|eight|a\s+few|a\s+couple(?:\s+of)?|several)\s+"
    r"weeks?\s+ago$",
    r"^(?:[12]|a|an|one|two|a\s+couple(?:\s+of)?)\s+months?\s+ago$",
)
# Self-harm that is recent or escalating ("again last night", "deeper", "for months"); or long
# past ("clean for 2 years", "in high school, it's been 6 years").
SELF_HARM_RECENT = _x(
    r"\b(?:again|last\s+night|yesterday|today|tonight|this\s+(?:morning|week|weekend|month)|"
    r"earlier|just\s+now|deeper|worse|more\s+and\s+more|more\s+often|every\s+(?:day|night|week)|"
    r"daily|nightly|(?:for|in)\s+(?:weeks|months|a\s+while)|(?:for|in)\s+(?:the\s+)?(?:last|past)\s+"
    r"(?:few\s+)?(?:\d+\s+)?(?:days?|weeks?|months?)|(?:the\s+)?(?:last|past)\s+(?:few\s+|couple\s+"
    r"(?:of\s+)?)?(?:\d+\s+|two\s+|three\s+)?(?:days|weeks|months)|relaps\w*|still|fresh|bleeding|stitches|"
    r"(?:\d+|a\s+few|a\s+couple(?:\s+of)?|two|three)\s+(?:days?|hours?)\s+ago|started|keep|"
    r"kept|sometimes|lately|currently|right\s+now|been\s+(?:cutting|burning|scratching|"
    r"hurting|hitting|picking|pulling))\b",
)
SELF_HARM_DISTANT = _x(
    r"\bclean\s+(?:for|since)\s+(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|many|"
    r"several|a\s+few|over\s+\w+)\s+(?:years?|yrs?)\b",
    r"\b(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|many|several|a\s+few)\s+"
    r"(?:years?|yrs?)\s+(?:clean|ago|now|since)\b",
    r"\bit{A}s\s+been\s+(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|many|several|"
    r"a\s+few|years)\b|\bused\s+to\b|\bin\s+(?:high\s+school|middle\s+school|college)\b",
    r"\bfor\s+(?:\d+|two|three|four|five|six|seven|eight|nine|ten|many|several|a\s+few|over\s+\w+)\s+"
    r"(?:years?|yrs?)\b",
    r"\bin\s+my\s+(?:teens|twenties|early\s+\w+|late\s+\w+)\b|\bi{A}d\s+been\b|\bi\s+had\s+been\b",
    r"\bwhen\s+i\s+was\s+(?:\d{1,2}|a\s+teen(?:ager)?|a\s+kid|younger|little|in\s+\w+\s+(?:school|"
    r"grade))\b|\bas\s+a\s+(?:teen(?:ager)?|kid)\b|\byears\s+ago\b|\bhaven{A}t\s+(?:\w+\s+){0,2}in\s+years\b",
)
# A letter to someone who died, or written for grief work, is not a goodbye note.
GRIEF = _x(
    r"\b(?:grief|grieving|passed\s+away|funeral|memorial|in\s+heaven|who\s+(?:passed|died)|"
    r"since\s+(?:he|she|they)\s+died|late\s+(?:mom|mother|dad|father|husband|wife|son|daughter|"
    r"brother|sister|friend|grandma|grandpa))\b"
)
# Words that make a sentence the person's own: preparations, self-harm and attempt history need
# one ("- giving away belongings" in a list of warning signs is not the person's).
FIRST_PERSON = re.compile(
    r"\b(?:i|i['’`]?m|im|i['’`]?ve|ive|i['’`]?d|i['’`]?ll|my|me|myself|mine)\b", re.IGNORECASE
)
# "Don't do it", "please don't end it": advice to someone else carries no intent.
ANAPHORA_ADVICE = re.compile(
    r"(?:\b(?:don['’`]?t|dont|do\s+not|never|please|you|u|ur|you['’`]?re|youre)\s+(?:\w+\s+){0,2})$",
    re.IGNORECASE,
)
# A quote opened after these words is someone else's ("my mom said 'just get over it'").
QUOTE_REPORTER = re.compile(
    r"\b(?:said|says|say|told\s+me|tells\s+me|texted|wrote|posted|commented|replied|messaged|"
    r"asked|yelled|screamed|goes|went|was\s+like|is\s+like|like)\b"
    r"(?:\s+(?:to\s+)?(?:me|us|her|him|them|everyone))?[\s,:]*$",
    re.IGNORECASE,
)
# ... or named after it ("“just get over it,” my mom said").
QUOTE_AFTER_OTHER = re.compile(
    r"^[\s,.!?]*(?:is\s+what\s+|that{A}s\s+what\s+)?(?:he|she|they|my\s+\w+|someone|people|"
    r"everyone)\s+(?:\w+\s+)?(?:said|says|told\s+me|texted|wrote|posted|keeps\s+saying)\b".replace(
        "{A}", "['’`]?"
    ),
    re.IGNORECASE,
)

PRESENT_MARKERS = _x(
    r"\b(?:just|right\s+now|already|a\s+few\s+minutes\s+ago|minutes\s+ago|an\s+hour\s+ago|"
    r"\d+\s+(?:minutes|mins|hours|hrs)\s+ago|tonight|earlier\s+tonight|this\s+morning|today|now)\b"
)
# "Do it" and the like carry intent across messages ("I'll do it after they leave").
ANAPHORA = _x(
    r"\b(?:do\s+it|doing\s+it|end\s+it|go\s+through\s+with\s+it|it{A}s\s+happening|be\s+gone|"
    r"won{A}t\s+be\s+here|it\s+happens|it\s+(?:will\s+)?happen|ending\s+it|finish\s+it)\b",
    r"\bthe\s+day\b(?=\s+(?:i\s+(?:do|die|go|end)|it\s+happens|comes|has\s+come|is\s+(?:set|here|"
    r"today|tomorrow)))",
)
POSSESSION = _x(
    r"\bi\s+(?:have|got|own|bought|stashed|saved|saved\s+up|collected|hoarded|"
    r"stockpiled|hid|grabbed|took\s+out|picked\s+up|found|filled|refilled|loaded)\b",
    r"\bi\s+(?:keep|kept)\s+(?:a|an|the|my|some|it|them|\d+)\b",
    r"{IVE}\s+(?:got|been\s+saving|been\s+collecting|saved|stockpiled|collected|bought)\b",
    r"\b(?:stockpiling|hoarding|saving\s+up|stashing)\b",
    r"\b(?:there{A}s|there\s+is|there\s+are|we\s+have|we\s+keep|we\s+got)\b",
    r"\bmy\s+(?:dad|father|mom|mother|stepdad|stepmom|brother|husband|wife|partner|roommate|grandpa|"
    r"uncle)(?:{A}s|\s+(?:has|have|keeps?|owns?))\b",
    r"\bmy\s+parents(?:['’`]|\s+(?:have|keep|own)\b)",
    r"\b(?:in\s+my\s+(?:hand|hands|lap|pocket|bag|car|room|drawer|nightstand|purse|backpack)|"
    r"next\s+to\s+me|in\s+front\s+of\s+me|right\s+here|{IM}\s+holding|loaded|my\s+(?:own\s+)?gun|"
    r"on\s+my\s+(?:desk|bed|nightstand|table|dresser|counter|lap|night\s+stand))\b",
    r"{IM}\s+(?:on|at|standing\s+on|sitting\s+on)\s+(?:the|a)\b",
)
NO_ACCESS = _x(
    r"\b(?:don{A}t|do\s+not|dont|doesn{A}t|no\s+longer)\s+(?:have|own|keep)\b",
    r"\bno\s+(?:guns?|pills|weapons?|rope|meds|firearms?)\b|\bgot\s+rid\s+of\b",
    r"\blocked\s+(?:up|away|it|them)\b|\bgave\s+(?:it|them)\s+(?:to|away)\b",
    r"\bthrew\s+(?:it|them)\s+(?:out|away)\b|\bcan{A}t\s+(?:get|find|access)\b",
)

# ---- affirmative answers to a counselor's direct question ----------------------------------
AFFIRMATIVE = re.compile(
    r"^\W*(?:yes|yeah|yea|yep|yup|ya|yah|ye|mhm|uh\s*huh|i\s+do|i\s+am|i\s+have|i\s+did|kinda|"
    r"kind\s+of|sort\s+of|sometimes|a\s+little|every\s*day|all\s+the\s+time|constantly|maybe|"
    r"i\s+think\s+so|honestly\s+yes|yes\s+i\s+(?:am|do|have|did)|i\s+guess|probably|a\s+lot|"
    r"of\s+course|obviously|always)\b(?!\s*(?:but\s+)?(?:not|no)\b)",
    re.IGNORECASE,
)
QUESTION_TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "attempt_in_progress",
        _x(
            r"\b(?:have|did)\s+you\s+(?:already\s+)?(?:taken|take|swallowed|done|hurt\s+yourself|"
            r"cut)\b[^?]*\b(?:already|tonight|today|now|anything|something|pills|yet)\b",
            r"\btaken\s+anything\b|\bdid\s+you\s+take\s+(?:anything|something|them|the\s+pills)\b",
        ),
    ),
    (
        "suicidal_ideation",
        _x(
            r"\b(?:thinking\s+(?:about|of)\s+(?:suicide|killing\s+yourself|ending\s+your\s+life|"
            r"ending\s+it|taking\s+your\s+(?:own\s+)?life|dying)|suicidal|kill(?:ing)?\s+yourself|"
            r"want\s+to\s+die|"
            r"end\s+your\s+life|thoughts\s+of\s+(?:suicide|death|dying))"
        ),
    ),
    ("plan", _x(r"\b(?:have|got|made|thought\s+of)\s+a\s+plan\b|\bplan(?:ned)?\s+(?:how|for)\b")),
    (
        "prior_attempt",
        _x(r"\b(?:tried|attempted)\b[^?]*\bbefore\b|\b(?:ever|previously)\s+(?:tried|attempted)\b"),
    ),
    (
        "access_to_means",
        _x(
            r"\b(?:access\s+to|have\s+any|have\s+a|got\s+any|have\s+the|near\s+you|with\s+you)\b"
            r"[^?]*\b(?:guns?|firearms?|pills|medications?|meds|weapons?|rope|knife)\b"
        ),
    ),
    (
        "expressed_intent",
        _x(
            r"\b(?:going\s+to|planning\s+to|intend\s+to|do\s+you\s+think\s+you\s+will)\b[^?]*\b"
            r"(?:act\s+on|do\s+it|kill\s+yourself|end\s+your\s+life|go\s+through)\b"
        ),
    ),
)
QUESTION_TOPICS_BY_CODE: dict[str, re.Pattern[str]] = dict(QUESTION_TOPICS)
QUESTION_TIMING = _x(r"\bwhen\b|\bwhat\s+time\b|\bhow\s+soon\b|\btonight\b|\btimeline\b")

# Headlines go to a queue list: never show a phone number, e-mail or street address there.
SENSITIVE = re.compile(
    r"\d[\d\s().-]{6,}\d|@|\b\d{1,6}\s+(?:[A-Za-z]+\s+){0,3}(?:st|street|ave|avenue|rd|road|blvd|"
    r"boulevard|dr|drive|ln|lane|way|ct|court|pl|place|hwy|highway|apt|unit)\b",
    re.IGNORECASE,
)

SENTENCE_END = re.compile(r"[.!?\n;]+|\s+-{1,2}\s+|…")
CLAUSE_BREAK = re.compile(r"[,:;()\"“”]|\bbut\b|\bthough\b|\bbecause\b|\bso\b(?=\s+i\b)", re.I)

MEANS_KINDS: tuple[MeansKind, ...] = (
    "firearm",
    "medication",
    "heights",
    "vehicle",
    "cutting",
    "hanging",
    "poison",
    "other",
)

# Being on a medication for treatment is not a method ("I'm on antidepressants and...").
ON_MEDS = _x(
    r"\b(?:on|taking|started|prescribed|switched\s+to|changed)\s+(?:my\s+|new\s+|the\s+|some\s+)?$",
    r"\b(?:{IM}|am|already|been)\s+on\s+(?:\w+\s+){1,2}$",
)
AGE_QUESTION = _x(r"\bhow\s+old\b|\byour\s+age\b")
AGE_ANSWER = _x(
    r"^\W*(?:{IM}\s+)?(?:only\s+|just\s+)?(?:1[0-7]|[89]|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|twelve|eleven|ten)\b(?!\s*(?:pills|mg|minutes|hours|days|weeks|months))"
)
# A question reported before the words ("she asked if I had a plan to hurt myself"): only the words
# after it are framed.
QUESTION_FRAME = _x(r"\basked\s+(?:me\s+)?(?:if|whether)\b|\bwants\s+to\s+know\s+(?:if|whether)\b")
TIMING_ANSWER_WORDS = 7


# ---- prefilter -------------------------------------------------------------------------------
# Most messages of a long chat trigger no rule, yet every rule regex used to scan all of them.
# Each pattern is read once, at import, for its *required literals*: a few strings one of which
# every match must contain (for "\bburden\b|\bbetter\s+off\s+without\s+me\b" that is {"burden",
# "better"}). One pass of a combined literal regex over each message tells which rules can match
# there, and a rule runs only on those messages. The literals are derived from the parsed pattern,
# the same way the re module reads it, so a rule edited later keeps its prefilter right; a
# pattern the reading cannot bound (None) simply runs everywhere.

_FINITE_LIMIT = 64
_REPEATS = (rx.MAX_REPEAT, rx.MIN_REPEAT, rx.POSSESSIVE_REPEAT)
# Frequent words make poor triggers: a rule is prefiltered on its rarest required literal.
_COMMON_WORDS = frozenset(
    [
        "i",
        "a",
        "an",
        "the",
        "my",
        "me",
        "to",
        "of",
        "in",
        "on",
        "at",
        "by",
        "is",
        "it",
        "be",
        "do",
        "go",
        "so",
        "no",
        "not",
        "and",
        "or",
        "but",
        "for",
        "with",
        "this",
        "that",
        "what",
        "want",
        "know",
        "like",
        "get",
        "just",
        "all",
        "can",
        "will",
        "would",
        "could",
        "have",
        "has",
        "had",
        "was",
        "are",
        "am",
        "im",
        "you",
        "your",
        "we",
        "they",
        "he",
        "she",
        "her",
        "his",
        "him",
        "them",
        "there",
        "here",
        "way",
        "now",
        "then",
        "when",
        "if",
        "about",
        "going",
        "out",
        "up",
    ]
)


def _small_class(av: Sequence[Any]) -> set[str] | None:
    chars: set[str] = set()
    for op, value in av:
        if op is rx.LITERAL:
            chars.add(chr(value))
        elif op is rx.RANGE and value[1] - value[0] < 10:
            chars.update(chr(c) for c in range(value[0], value[1] + 1))
        else:
            return None  # negated, a category (\w, \s, \d) or a wide range
    if len(chars) > 10 or any(ch.isspace() or ch == "\x00" for ch in chars):
        return None
    return chars


def _finite(items: Sequence[Any]) -> set[str] | None:
    """Every string the parsed sequence can consume, when they are few and hold no whitespace."""
    out = {""}
    for op, av in items:
        alts = _finite_item(op, av)
        if alts is None:
            return None
        out = {a + b for a in out for b in alts}
        if len(out) > _FINITE_LIMIT:
            return None
    return out


def _finite_item(op: Any, av: Any) -> set[str] | None:
    if op is rx.LITERAL:
        ch = chr(av)
        return None if ch.isspace() or ch == "\x00" else {ch}
    if op is rx.IN:
        return _small_class(av)
    if op in (rx.AT, rx.ASSERT, rx.ASSERT_NOT):
        return {""}  # zero width: consumes nothing
    if op is rx.SUBPATTERN:
        return _finite(list(av[-1]))
    if op is rx.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            sub = _finite(list(branch))
            if sub is None:
                return None
            out |= sub
        return out if len(out) <= _FINITE_LIMIT else None
    if op in _REPEATS and av[1] <= 2:
        body = _finite(list(av[2]))
        if body is None:
            return None
        out = {""} if av[0] == 0 else set()
        power = {""}
        for count in range(1, av[1] + 1):
            power = {a + b for a in power for b in body}
            if count >= av[0]:
                out |= power
        return out if len(out) <= _FINITE_LIMIT else None
    return None


# How often a letter occurs in English text (per letter); anything else (digits, punctuation,
# emoji) is taken as rarer than any letter.
_LETTER_FREQUENCY = dict(
    zip(
        "etaoinshrdlcumwfgypbvkjxqz",
        (
            0.127,
            0.091,
            0.082,
            0.075,
            0.070,
            0.067,
            0.063,
            0.061,
            0.060,
            0.043,
            0.040,
            0.028,
            0.028,
            0.024,
            0.024,
            0.022,
            0.020,
            0.020,
            0.019,
            0.015,
            0.010,
            0.008,
            0.002,
            0.002,
            0.001,
            0.001,
        ),
        strict=True,
    )
)


def _literal_cost(text: str) -> float:
    """How likely the literal is at a position of ordinary text: lower is a better trigger."""
    cost = 25.0 if text in _COMMON_WORDS else 1.0
    for ch in text:
        cost *= _LETTER_FREQUENCY.get(ch, 0.005)
    return cost


def _minimal(strings: set[str] | frozenset[str]) -> frozenset[str]:
    """Drop every string that contains another one: requiring the shorter one is enough."""
    return frozenset(s for s in strings if not any(t != s and t in s for t in strings))


_CLAUSES = 3  # required-literal sets kept per pattern: more prune better, each costs a bit test


def _cost(clause: frozenset[str]) -> tuple[float, list[str]]:
    return sum(map(_literal_cost, clause)), sorted(clause)


# A set beyond the first is kept only when it is rare enough to prune: a set of common words
# would only make the trigger pass longer.
_EXTRA_CLAUSE_COST = 0.002


def _best(clauses: list[frozenset[str]], lenient: bool = False) -> list[frozenset[str]]:
    """The best sets; ``lenient`` keeps any extra set without a one-character literal (the sets
    of an alternative cost nothing per message, only hits of the trigger pass)."""
    ranked = sorted(set(clauses), key=_cost)[:_CLAUSES]
    return ranked[:1] + [
        c
        for c in ranked[1:]
        if _cost(c)[0] <= _EXTRA_CLAUSE_COST or (lenient and min(map(len, c)) >= 2)
    ]


def _requirement(items: Sequence[Any], lenient: bool = False) -> list[frozenset[str]]:
    """Sets of strings such that every match of the parsed sequence holds one string of each set
    (best first), or [] when there is no such set. ``lenient`` as for _best."""
    clauses: list[frozenset[str]] = []
    run = {""}

    def flush() -> None:
        if "" not in run:
            clauses.append(_minimal(run))

    for op, av in items:
        alts = _finite_item(op, av)
        if alts is not None:
            joined = {a + b for a in run for b in alts}
            if len(joined) <= _FINITE_LIMIT:
                run = joined
            else:
                flush()
                run = alts
            continue
        body = _finite(list(av[2])) if op in _REPEATS and av[0] >= 1 else None
        if body is not None and "" not in body:
            # "l+" in "kil+": the match holds "kil", and what follows comes after an "l".
            run = {a + b for a in run for b in body}
            flush()
            run = body
            continue
        flush()
        run = {""}
        if op is rx.SUBPATTERN:
            clauses += _requirement(list(av[-1]), lenient)
        elif op is rx.BRANCH:
            parts = [_requirement(list(branch), lenient) for branch in av[1]]
            if all(parts):
                # Each branch holds one string of its k-th set, so the whole holds one of the
                # union of those sets.
                for k in range(_CLAUSES):
                    union = frozenset().union(*(p[min(k, len(p) - 1)] for p in parts))
                    clauses.append(_minimal(union))
        elif op in _REPEATS and av[0] >= 1:
            clauses += _requirement(list(av[2]), lenient)
    flush()
    return _best(clauses, lenient)


def required_literals(pattern: re.Pattern[str]) -> list[frozenset[str]]:
    """Sets of strings such that every match of ``pattern`` holds one string of each set, best
    (rarest) first; [] when the reading finds no bound.

    Literals are read case-sensitively: a pattern compiled with IGNORECASE is written in lower
    case, and the literals are looked for in length-preserving lowercased text."""
    return _requirement(rx.parse(pattern.pattern, pattern.flags & ~re.IGNORECASE))


_ALTERNATIVES_LIMIT = 64


def _alternatives(items: list[Any]) -> list[list[Any]]:
    """The parsed sequence as one sequence per top-level alternative: groups are opened, and a
    sequence with a single alternation in it becomes one sequence per branch (an alternation
    next to another one is left whole, so the count never multiplies)."""
    while any(op is rx.SUBPATTERN for op, _av in items):
        n = next(n for n, (op, _av) in enumerate(items) if op is rx.SUBPATTERN)
        items = [*items[:n], *items[n][1][-1], *items[n + 1 :]]
    branches = [n for n, (op, _av) in enumerate(items) if op is rx.BRANCH]
    if len(branches) != 1:
        return [items]
    n = branches[0]
    out: list[list[Any]] = []
    for branch in items[n][1][1]:
        out += _alternatives([*items[:n], *branch, *items[n + 1 :]])
        if len(out) > _ALTERNATIVES_LIMIT:
            return [items]
    return out


def alternative_literals(pattern: re.Pattern[str]) -> list[list[frozenset[str]]]:
    """For each top-level alternative of ``pattern``, sets of strings as ``required_literals``
    gives for the whole pattern: a match holds one string of each set of one alternative at
    least. [] when some alternative has no bound."""
    parsed = rx.parse(pattern.pattern, pattern.flags & ~re.IGNORECASE)
    out = [_requirement(alt, lenient=True) for alt in _alternatives(parsed)]
    return out if all(out) else []


def _trie_regex(words: Sequence[str]) -> str:
    """An alternation of ``words`` as a trie: one comparison per character, longest match first."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + emit(node[ch]) for ch in sorted(k for k in node if k)]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root)


# Prefilter bits: one per rule of RULES, in order, then the helper patterns read per message.
ANAPHORA_BIT = 1 << len(RULES)
PLACES_BIT = ANAPHORA_BIT << 1
SUBSTANCES_BIT = ANAPHORA_BIT << 2
# Then the context patterns read around each match (negation, hypothetical, joke, ...): the same
# trigger pass tells which of them can match anywhere in a message, and the engine skips the
# search where one cannot. SUBJECT has no required literal (a capitalised name is a subject) and
# NEGATION_AFTER's only literal is "n": both always run.
NEGATORS_BIT = ANAPHORA_BIT << 3
CLAUSE_BREAK_BIT = ANAPHORA_BIT << 4
HYPOTHETICAL_BIT = ANAPHORA_BIT << 5
QUESTION_FRAME_BIT = ANAPHORA_BIT << 6
JOKE_BIT = ANAPHORA_BIT << 7
NOT_JOKING_BIT = ANAPHORA_BIT << 8
LYRIC_BIT = ANAPHORA_BIT << 9
REPORTED_BIT = ANAPHORA_BIT << 10
PAST_MARKERS_BIT = ANAPHORA_BIT << 11
PRESENT_MARKERS_BIT = ANAPHORA_BIT << 12
POSSESSION_BIT = ANAPHORA_BIT << 13
NO_ACCESS_BIT = ANAPHORA_BIT << 14
ON_MEDS_BIT = ANAPHORA_BIT << 15
PLACE_CUE_BIT = ANAPHORA_BIT << 16
CUES: tuple[tuple[int, re.Pattern[str]], ...] = (
    (NEGATORS_BIT, NEGATORS),
    (CLAUSE_BREAK_BIT, CLAUSE_BREAK),
    (HYPOTHETICAL_BIT, HYPOTHETICAL),
    (QUESTION_FRAME_BIT, QUESTION_FRAME),
    (JOKE_BIT, JOKE_RE),
    (NOT_JOKING_BIT, NOT_JOKING),
    (LYRIC_BIT, LYRIC_RE),
    (REPORTED_BIT, REPORTED),
    (PAST_MARKERS_BIT, PAST_MARKERS),
    (PRESENT_MARKERS_BIT, PRESENT_MARKERS),
    (POSSESSION_BIT, POSSESSION),
    (NO_ACCESS_BIT, NO_ACCESS),
    (ON_MEDS_BIT, ON_MEDS),
    (PLACE_CUE_BIT, PLACE_CUE),
)
_PREFILTERED: tuple[tuple[int, re.Pattern[str]], ...] = (
    *((1 << i, fast) for i, (_rule, fast) in enumerate(FAST_RULES)),
    (ANAPHORA_BIT, ANAPHORA),
    (PLACES_BIT, PLACES),
    (SUBSTANCES_BIT, SUBSTANCES),
    *CUES,
)
REQUIRED: dict[int, list[frozenset[str]]] = {
    bit: required_literals(pattern) for bit, pattern in _PREFILTERED
}
# Bits whose pattern has no required literal: they run on every message.
ALWAYS = sum(bit for bit, clauses in REQUIRED.items() if not clauses)


# For each pattern, the required sets of each of its top-level alternatives ("\\bkms\\b|\\bend\\s+it
# all\\b" needs "kms", or "end" and "all"): sharper than the sets the whole pattern requires, which
# hold a string of every alternative.
ALTERNATIVES: dict[int, list[list[frozenset[str]]]] = {
    bit: alternative_literals(pattern) for bit, pattern in _PREFILTERED
}

# A message's trigger pass gives one int with a bit for every (pattern, required set) present.
# The bits sit in lanes of LANE bits, one lane per set slot, the pattern's own bit at the same
# place in every lane: lanes 0 to _CLAUSES - 1 hold the sets of the whole pattern, then _CLAUSES
# lanes per alternative. "Every set of the pattern, and every set of one of its alternatives" is
# then a few shifts, ANDs and ORs for all patterns at once (engine._runnable).
LANE = PLACE_CUE_BIT.bit_length()  # every pattern bit fits in one lane
_ALTERNATIVE_SLOTS = 16  # alternatives kept apart per pattern; the rest are read as one
BLOCK = _CLAUSES * LANE  # the lanes of one alternative


def _slots(alternatives: list[list[frozenset[str]]]) -> list[list[frozenset[str]]]:
    """The alternatives in at most _ALTERNATIVE_SLOTS: the rarest apart, the rest merged into
    one whose k-th set is the union of their k-th sets (each of them holds a string of it)."""
    distinct: list[list[frozenset[str]]] = []
    for alt in alternatives:
        if alt not in distinct:
            distinct.append(alt)
    if len(distinct) <= _ALTERNATIVE_SLOTS:
        return distinct

    def rarity(alt: list[frozenset[str]]) -> float:
        out = 1.0
        for clause in alt:
            out *= _cost(clause)[0]
        return out

    ranked = sorted(distinct, key=rarity)
    kept, rest = ranked[: _ALTERNATIVE_SLOTS - 1], ranked[_ALTERNATIVE_SLOTS - 1 :]
    shared = min(len(alt) for alt in rest)
    merged = [_minimal(frozenset().union(*(alt[k] for alt in rest))) for k in range(shared)]
    return [*kept, merged]


def _lanes() -> tuple[dict[str, int], int]:
    """For every literal, the bits of the (pattern, set) slots whose set holds it or a literal
    inside it (the trigger regex reports the longest literal at a position, and the shorter ones
    inside it count too); and the bits always set: the slots a pattern leaves empty."""
    by_literal: dict[str, int] = {}
    fill = 0
    for bit, clauses in REQUIRED.items():
        slots: list[tuple[int, list[frozenset[str]]]] = [(0, clauses)]
        alternatives = _slots(ALTERNATIVES[bit]) or [[]]  # none known: one that always holds
        slots += [(BLOCK * (1 + j), alt) for j, alt in enumerate(alternatives)]
        for offset, alt in slots:
            for k in range(_CLAUSES):
                slot_bit = bit << (offset + k * LANE)
                if k >= len(alt):
                    fill |= slot_bit
                    continue
                for lit in alt[k]:
                    by_literal[lit] = by_literal.get(lit, 0) | slot_bit
    masks: dict[str, int] = {}
    for lit in by_literal:
        mask = 0
        for i in range(len(lit)):
            for j in range(i + 1, len(lit) + 1):
                mask |= by_literal.get(lit[i:j], 0)
        masks[lit] = mask
    return masks, fill


TRIGGER_MASK, SLOTS_FILLED = _lanes()
CLAUSES = _CLAUSES
# The first lane of each alternative, and the shifts that OR the alternatives into the first
# (halving: _ALTERNATIVE_SLOTS is a power of two).
ALTERNATIVE_LANES = sum(((1 << LANE) - 1) << (BLOCK * j) for j in range(_ALTERNATIVE_SLOTS))
FOLD_SHIFTS = tuple(
    BLOCK * (_ALTERNATIVE_SLOTS >> n) for n in range(1, _ALTERNATIVE_SLOTS.bit_length())
)
# The literals as one trie-shaped regex. A literal may start inside the one just found and run
# past its end, so the engine searches again from the next character after each match rather than
# from the end of it (see engine._chunk_mask).
TRIGGER = re.compile(_trie_regex(sorted(TRIGGER_MASK)))
# Letters that case-insensitive patterns match although they do not lowercase to an ASCII
# letter (the long s, U+017F, matches "s"): a message holding one runs every helper pattern
# (ANAPHORA, PLACES, SUBSTANCES), so the prefilter never hides a match the pattern would find.
CASEFOLD_ODD = frozenset("\u0130\u0131\u017f")
RULE_BITS = (1 << len(RULES)) - 1
HELPER_BITS = ANAPHORA_BIT | PLACES_BIT | SUBSTANCES_BIT
CUE_BITS = sum(bit for bit, _pattern in CUES)
PATTERN_BITS = RULE_BITS | HELPER_BITS | CUE_BITS


def _skip_ahead(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The same pattern behind a lookahead on the characters a match can start with (as ``_x``
    does): the same matches, found without trying a match at every position."""
    guard = _guard(rx.parse(pattern.pattern, pattern.flags))
    if not guard:
        return pattern
    return re.compile(f"{guard}(?:{pattern.pattern})", pattern.flags)


# The engine's fast path reads the context with these; the plain path (prefilter off) with the
# patterns above.
SUBJECT_FAST = _skip_ahead(SUBJECT)
NEGATORS_FAST = _skip_ahead(NEGATORS)
CLAUSE_BREAK_FAST = _skip_ahead(CLAUSE_BREAK)


@dataclass(frozen=True, slots=True)
class Context:
    """The patterns a message is read with besides the rules. Three bundles find the same
    matches: the plain one, the fast path's (skip-ahead forms), and the fast path's with ASCII
    classes for an ASCII-safe message."""

    sentence_end: re.Pattern[str]
    subject: re.Pattern[str]  # matched where a match starts
    subject_scan: re.Pattern[str]  # searched through the sentence before it
    reported: re.Pattern[str]
    clause_break: re.Pattern[str]
    negators: re.Pattern[str]
    negation_except: re.Pattern[str]
    negation_after: re.Pattern[str]
    hypothetical: re.Pattern[str]
    question_frame: re.Pattern[str]
    joke: re.Pattern[str]
    not_joking: re.Pattern[str]
    lyric: re.Pattern[str]
    possession: re.Pattern[str]
    no_access: re.Pattern[str]
    past: re.Pattern[str]
    present: re.Pattern[str]
    on_meds: re.Pattern[str]
    anaphora: re.Pattern[str]
    places: re.Pattern[str]
    place_cue: re.Pattern[str]
    substances: re.Pattern[str]
    age_answer: re.Pattern[str]
    affirmative: re.Pattern[str]


PLAIN_CONTEXT = Context(
    sentence_end=SENTENCE_END,
    subject=SUBJECT,
    subject_scan=SUBJECT,
    reported=REPORTED,
    clause_break=CLAUSE_BREAK,
    negators=NEGATORS,
    negation_except=NEGATION_EXCEPT,
    negation_after=NEGATION_AFTER,
    hypothetical=HYPOTHETICAL,
    question_frame=QUESTION_FRAME,
    joke=JOKE_RE,
    not_joking=NOT_JOKING,
    lyric=LYRIC_RE,
    possession=POSSESSION,
    no_access=NO_ACCESS,
    past=PAST_MARKERS,
    present=PRESENT_MARKERS,
    on_meds=ON_MEDS,
    anaphora=ANAPHORA,
    places=PLACES,
    place_cue=PLACE_CUE,
    substances=SUBSTANCES,
    age_answer=AGE_ANSWER,
    affirmative=AFFIRMATIVE,
)
FAST_CONTEXT = replace(
    PLAIN_CONTEXT,
    subject_scan=SUBJECT_FAST,
    clause_break=CLAUSE_BREAK_FAST,
    negators=NEGATORS_FAST,
)
ASCII_CONTEXT = replace(
    Context(*(_ascii(getattr(FAST_CONTEXT, name)) for name in Context.__dataclass_fields__)),
    # Skip-ahead is right here only: its first characters list \s as ASCII whitespace.
    sentence_end=_ascii(_skip_ahead(SENTENCE_END)),
)
