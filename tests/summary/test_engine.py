"""Focused tests of the rule engine: one per linguistic case it must get right."""

from __future__ import annotations

import pytest

from handoff.models import Tier
from handoff.summary import RuleEngine, Summary, TranscriptLine, summarize
from handoff.summary.types import Tier as EngineTier


def run(
    *lines: str, platform_level: EngineTier | None = None, platform_score: float | None = None
) -> Summary:
    """Lines are "u: text" (the person) or "a: text" (the counselor or bot)."""
    transcript = [
        TranscriptLine(role="user" if line[0] == "u" else "assistant", text=line[2:].strip())
        for line in lines
    ]
    return summarize(
        transcript=transcript, platform_level=platform_level, platform_score=platform_score
    )


def codes(summary: Summary) -> set[str]:
    return {i.code for i in summary.indicators}


def kinds(summary: Summary) -> set[str]:
    return {m.kind for m in summary.means if m.access is not False}


def test_plain_ideation_is_moderate() -> None:
    s = run("u: i just want to die")
    assert "suicidal_ideation" in codes(s)
    assert s.suggested_tier == "moderate"


@pytest.mark.parametrize(
    "text",
    [
        "I would never kill myself",
        "I'm not going to kill myself",
        "i don't want to die, i just want my ex to stop texting",
        "no way i'd ever end my life",
    ],
)
def test_negation(text: str) -> None:
    s = run(f"u: {text}")
    assert "suicidal_ideation" not in codes(s)
    assert s.suggested_tier == "low"


def test_negation_does_not_eat_cant_stop() -> None:
    assert "suicidal_ideation" in codes(run("u: i can't stop thinking about killing myself"))


@pytest.mark.parametrize(
    "text",
    [
        "what if someone took a bunch of pills, would they die?",
        "hypothetically, if a person wanted to kill themselves how would you help",
        "for my english essay the main character wants to kill himself",
    ],
)
def test_hypotheticals(text: str) -> None:
    s = run(f"u: {text}")
    assert s.suggested_tier == "low"
    assert not s.means


def test_past_attempt_is_history_not_in_progress() -> None:
    s = run("u: I tried two years ago")
    assert "prior_attempt" in codes(s)
    assert not s.attempt_in_progress
    s = run("u: i tried to kill myself in 2019 and ended up in the hospital")
    assert "prior_attempt" in codes(s)
    assert s.suggested_tier != "imminent"


def test_past_ideation_is_not_current() -> None:
    s = run("u: i used to want to die when i was a teenager. i'm doing well now")
    assert "suicidal_ideation" not in codes(s)


def test_other_people() -> None:
    s = run("u: my friend wants to die and i don't know how to help her")
    assert "suicidal_ideation" not in codes(s)
    assert s.third_party
    assert s.suggested_tier == "low"
    s = run("u: my brother told me he's going to kill himself")
    assert "expressed_intent" not in codes(s)
    assert s.third_party


@pytest.mark.parametrize(
    "text",
    [
        "lol that exam is killing me",
        "this song says i want to die and it's such a vibe",
        "kms this traffic is insane lol",
        "my brother ate my pizza i'm gonna kill him lmao",
    ],
)
def test_jokes_and_lyrics(text: str) -> None:
    s = run(f"u: {text}")
    assert s.suggested_tier == "low"
    assert not s.risk_to_others


def test_not_joking_cancels_the_joke() -> None:
    s = run("u: lol kms", "u: no seriously i want to die, not joking")
    assert "suicidal_ideation" in codes(s)


@pytest.mark.parametrize(
    "text",
    [
        "kms fr",
        "i wanna die",
        "i want to kil myself",
        "thinking about sewer slide",
        "unalive myself",
    ],
)
def test_slang_and_typos(text: str) -> None:
    assert "suicidal_ideation" in codes(run(f"u: {text}"))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("i want to die 💊💊", "medication"),
        ("i have 800mg of ibuprofen and i want to die", "medication"),
        ("i'm thinking about a whole bottle of tylenol", "medication"),
        ("i keep thinking about the fentanyl, i want to die", "medication"),
        ("i want to shoot myself", "firearm"),
        ("i think about hanging myself", "hanging"),
        ("i want to jump off the bridge", "heights"),
    ],
)
def test_method_words_emoji_and_numbers(text: str, kind: str) -> None:
    s = run(f"u: {text}")
    assert kind in kinds(s)
    assert "method_stated" in codes(s)
    assert s.suggested_tier in ("high", "imminent")


def test_medication_for_treatment_is_not_a_method() -> None:
    s = run("u: i'm on antidepressants and i take my pills every morning")
    assert not s.means


@pytest.mark.parametrize(
    "text",
    [
        "I already took 30 pills",
        "i just swallowed all of my xanax",
        "I'm on the bridge now, i want to die",
    ],
)
def test_attempt_in_progress(text: str) -> None:
    s = run(f"u: {text}")
    assert s.attempt_in_progress
    assert s.suggested_tier == "imminent"
    assert s.headline.startswith("IMMINENT: attempt in progress")
    assert "ATTEMPT IN PROGRESS" in s.cad_line


@pytest.mark.parametrize(
    "text",
    ["tonight", "after they leave", "this weekend", "when everyone is asleep"],
)
def test_timeframes(text: str) -> None:
    s = run(f"u: i'm going to overdose {text}")
    assert "timeframe" in codes(s)
    assert [f.label for f in s.timeframe] == [text]
    assert s.suggested_tier == "imminent"


def test_timeframe_without_risk_is_ignored() -> None:
    s = run("u: i have an exam tomorrow and i'm nervous")
    assert not s.timeframe


def test_risk_spread_over_messages_combines() -> None:
    s = run(
        "u: i'm going to kill myself",
        "a: Do you have a way in mind?",
        "u: my husband's pistol, it's in the nightstand",
        "a: When are you thinking of doing this?",
        "u: after he leaves for work",
    )
    assert {"expressed_intent", "method_stated", "access_to_means", "timeframe"} <= codes(s)
    assert "firearm" in kinds(s)
    assert s.suggested_tier == "imminent"


def test_short_answer_to_counselor_question() -> None:
    s = run(
        "u: i feel awful",
        "a: Are you thinking about suicide?",
        "u: yeah",
        "a: Do you have a plan?",
        "u: yes",
    )
    assert {"suicidal_ideation", "plan"} <= codes(s)
    no = run("u: i feel awful", "a: Are you thinking about suicide?", "u: no")
    assert "suicidal_ideation" not in codes(no)


@pytest.mark.parametrize(
    "text", ["I want to hurt him", "i'm going to take them with me", "i'm going to kill him"]
)
def test_risk_to_others(text: str) -> None:
    s = run(f"u: {text}")
    assert s.risk_to_others
    assert "THREAT TO OTHERS" in s.cad_line


@pytest.mark.parametrize(
    "text",
    ["I'm 14", "im in 8th grade", "my mom won't let me go out", "my teacher yelled at me"],
)
def test_minor_signs(text: str) -> None:
    s = run(f"u: {text}")
    assert s.minor_signs


def test_not_minor() -> None:
    assert not run("u: i'm 15 minutes away from home").minor_signs
    assert not run("u: my son is 14 and he's struggling").minor_signs


def test_places_and_substances() -> None:
    s = run("u: i'm so drunk", "u: i'm at the parking garage and i want to jump")
    assert "parking garage" in {p.label for p in s.places}
    assert "alcohol" in {p.label for p in s.substances}
    assert "substance_use" in codes(s)


def test_assistant_text_is_never_evidence() -> None:
    s = run(
        "a: Some people who feel this way think about killing themselves or taking pills.",
        "u: ok",
    )
    assert s.suggested_tier == "low"
    assert not s.evidence


@pytest.mark.parametrize(
    ("text", "code", "name"),
    [
        ("quiero morir, estoy muy sola y nadie me entiende", "es", "Spanish"),
        ("je veux mourir, personne ne m'aime et je suis seule", "fr", "French"),
        ("ich will nicht mehr leben, ich bin so allein", "de", "German"),
        ("eu não aguento mais, quero morrer, estou sozinha", "pt", "Portuguese"),
    ],
)
def test_other_languages_are_not_assessed(text: str, code: str, name: str) -> None:
    s = run(f"u: {text}")
    assert (s.language, s.language_name, s.assessable) == (code, name, False)
    assert s.suggested_tier == "high"
    assert name in s.headline
    assert "Cannot assess" in s.headline
    assert not s.indicators
    s = run(f"u: {text}", platform_level="moderate")
    assert s.suggested_tier == "moderate"


def test_english_with_a_foreign_word_stays_english() -> None:
    s = run("u: my abuela says hola but i want to die")
    assert s.language == "en"
    assert "suicidal_ideation" in codes(s)


def test_platform_level_is_recorded_not_applied() -> None:
    s = run("u: hi, just a long day", platform_level="high", platform_score=0.82)
    assert s.suggested_tier == "low"
    assert any("Platform level: high (score 0.82)" in r for r in s.tier_reasons)
    assert Tier.max(s.suggested_tier, "high") == Tier.HIGH


def test_headline_and_cad_line_hide_contact_details() -> None:
    s = run(
        "u: i'm going to kill myself at 1412 Elm Street tonight, call 555-867-5309",
        "u: i want to die",
    )
    for text in (s.headline, s.cad_line):
        assert "555" not in text
        assert "Elm" not in text
        assert "1412" not in text
    assert len(s.headline) <= 160
    assert len(s.cad_line) <= 200


def test_evidence_is_verbatim_and_deduplicated() -> None:
    lines = ["u: i want to die. I already took 30 pills", "a: Where are you?", "u: home"]
    s = run(*lines)
    transcript = [line[2:].strip() for line in lines]
    keys = [(e.message, e.start, e.end) for e in s.evidence]
    assert keys == sorted(set(keys))
    for e in s.evidence:
        assert transcript[e.message][e.start : e.end] == e.text
        assert lines[e.message][0] == "u"


def test_empty_transcript() -> None:
    s = run()
    assert s.suggested_tier == "low"
    assert s.tier_reasons[0] == "No messages from the person yet"


def test_deterministic() -> None:
    lines = [
        "u: i have a plan",
        "a: Can you tell me more?",
        "u: i'm going to take all my oxy tonight after my mom leaves. im 16",
    ]
    first = run(*lines).model_dump(mode="json")
    for _ in range(5):
        assert run(*lines).model_dump(mode="json") == first
    engine = RuleEngine()
    transcript = [TranscriptLine(role="user", text="i want to die")]
    assert engine.summarize(transcript=transcript) == engine.summarize(transcript=transcript)
    assert (first_s := run(*lines)).engine == "rules"
    assert first_s.engine_version == "1.1.0"
