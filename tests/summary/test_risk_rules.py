"""Self-harm, attempts, preparations, people helping others and long writing: what a counselor
would see in the queue for each, including negations, other people and time."""

from __future__ import annotations

from typing import Any

import pytest

from handoff.summary import Summary, TranscriptLine, summarize
from handoff.summary.evaluate import DEFAULT_SET, PARTS, load_cases, transcript_of


def run(*lines: str) -> Summary:
    """Lines are "u: text" (the person) or "a: text" (the counselor or bot)."""
    transcript = [
        TranscriptLine(role="user" if line[0] == "u" else "assistant", text=line[2:].strip())
        for line in lines
    ]
    return summarize(transcript=transcript)


def codes(summary: Summary) -> set[str]:
    return {i.code for i in summary.indicators}


def evidence_of(summary: Summary, code: str) -> list[str]:
    return [e.text for i in summary.indicators if i.code == code for e in i.evidence]


def assert_verbatim(summary: Summary, lines: list[TranscriptLine]) -> None:
    for e in summary.evidence:
        assert lines[e.message].role == "user"
        assert lines[e.message].text[e.start : e.end] == e.text


# ---- self-harm --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I cut myself again last night, deeper this time.",
        "been cuttin again, 4 on my thigh",
        "i relapsed on sh after 40 days",
        "i've been burning myself with a lighter for months",
        "I scratch my arms until they bleed every night",
        "i pick at my skin until it bleeds, the last 3 weeks have been the worst",
        "i keep pulling out my hair, there's a bald spot now",
        "i hit my head against the wall again today",
        "took a bunch of pills just to numb out, i wasn't trying to die",
        "I cut. First time in 7 months. Then I heated a knife and pressed it on my arm.",
    ],
)
def test_recent_self_harm_is_high_with_its_evidence(text: str) -> None:
    s = run(f"u: {text}")
    assert "self_harm" in codes(s)
    assert s.suggested_tier in ("high", "imminent")
    assert any(text.startswith(e) or e in text for e in evidence_of(s, "self_harm"))
    assert "self-harm, recent" in s.headline or s.suggested_tier == "imminent"


def test_self_harm_sits_under_capability() -> None:
    s = run("u: i cut myself again last night")
    (indicator,) = [i for i in s.indicators if i.code == "self_harm"]
    assert indicator.domain == "capability"
    assert [e.text for e in indicator.evidence] == ["i cut myself again last night"]


@pytest.mark.parametrize(
    "text",
    [
        "I have never cut myself",
        "i don't self harm, i just feel numb",
        "my sister cuts herself and i don't know what to do",
        "my best friend has been cutting again",
        "I cut myself a slice of cake",
        "i'm thinking about cutting back at work",
        "this homework has me pulling my hair out",
    ],
)
def test_not_the_persons_self_harm(text: str) -> None:
    s = run(f"u: {text}")
    assert "self_harm" not in codes(s)
    assert s.suggested_tier == "low"


def test_someone_elses_self_harm_is_shown_apart() -> None:
    s = run("u: my best friend has been cutting again")
    assert s.third_party
    assert "worried about someone else" in s.headline


@pytest.mark.parametrize(
    "text",
    [
        "I used to self-harm in high school, it's been 6 years",
        "i've been clean from self harm for 2 years",
        "I have scars on my arms from self harm in my teens.",
    ],
)
def test_self_harm_long_ago_does_not_raise_the_tier(text: str) -> None:
    s = run(f"u: {text}")
    assert "self_harm" in codes(s)
    assert s.suggested_tier == "low"
    assert "self-harm history" in s.headline


def test_relapsed_is_self_harm_beside_self_harm_and_drinking_beside_drinking() -> None:
    sh = run("u: i was clean from cutting for 3 months", "u: relapsed last night")
    assert "self_harm" in codes(sh) and "substance_use" not in codes(sh)
    assert sh.suggested_tier == "high"
    drink = run("u: i've been sober since june", "u: relapsed last night, i'm so drunk")
    assert "self_harm" not in codes(drink)


# ---- attempts ---------------------------------------------------------------------------------


def test_attempt_last_month_is_high_and_says_when() -> None:
    s = run("u: Last month I attempted suicide and ended up in the ER.")
    assert "prior_attempt" in codes(s)
    assert s.suggested_tier == "high"
    assert "prior attempt (last month)" in s.headline
    assert not s.attempt_in_progress


def test_attempt_weeks_ago_is_high() -> None:
    s = run("u: i tried to kill myself three weeks ago and i still feel like a ghost")
    assert s.suggested_tier == "high"
    assert "prior attempt (three weeks ago)" in s.headline


def test_distant_attempt_alone_is_moderate_and_says_when() -> None:
    s = run("u: I tried to kill myself last year by overdosing.")
    assert s.suggested_tier == "moderate"
    assert "prior attempt (last year)" in s.headline


def test_past_attempt_with_current_desire_is_high() -> None:
    s = run("u: I attempted suicide as a teen", "u: lately everything feels hopeless again")
    assert s.suggested_tier == "high"
    assert any("Previous attempt" in r for r in s.tier_reasons)


def test_attempt_in_progress_stays_imminent() -> None:
    s = run("u: i just took 30 of my sleeping pills")
    assert s.suggested_tier == "imminent"
    assert s.attempt_in_progress


@pytest.mark.parametrize(
    "lines",
    [
        (
            "u: The night I swallowed everything in the medicine cabinet was five years ago.",
            "u: I think about it on the anniversary, that's all.",
        ),
        ("u: I swallowed everything in the cabinet. I woke up in the ICU two days later.",),
    ],
)
def test_attempt_told_as_a_story_is_history_not_in_progress(lines: tuple[str, ...]) -> None:
    s = run(*lines)
    assert not s.attempt_in_progress
    assert "prior_attempt" in codes(s)
    assert s.suggested_tier != "imminent"


@pytest.mark.parametrize(
    "text",
    [
        "I have never attempted suicide",
        "my brother tried to kill himself last month",
        "my attempt at baking bread failed again",
    ],
)
def test_not_the_persons_attempt(text: str) -> None:
    s = run(f"u: {text}")
    assert "prior_attempt" not in codes(s)
    assert not s.attempt_in_progress


# ---- preparations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "i wrote a note and left it in my desk",
        "i gave away my cat and my guitar this week",
        "i said my goodbyes to everyone tonight",
        "i've been stockpiling my sleeping pills",
        "i set a date. it's the 14th",
        "i looked up how many it would take",
    ],
)
def test_each_preparation_raises_the_tier(text: str) -> None:
    s = run("u: i don't want to live anymore", f"u: {text}")
    assert codes(s) & {"preparatory_behaviour", "rehearsal", "plan"}
    assert s.suggested_tier in ("high", "imminent")


def test_means_bought_counts_beside_risk_only() -> None:
    with_risk = run("u: i want to die", "u: i bought a rope today")
    assert "preparatory_behaviour" in codes(with_risk)
    alone = run("u: i bought a rope today for the climbing gym")
    assert "preparatory_behaviour" not in codes(alone)
    assert alone.suggested_tier == "low"


@pytest.mark.parametrize(
    "text",
    [
        "I wrote a letter to my dad who passed, my grief counselor suggested it",
        "i have a plan to cut one of my jobs so i can sleep",
        "Warning signs:\n- giving away belongings\n- saying goodbye\n- writing a note",
        "I would never give away my dog",
        "my roommate wrote a goodbye note and i'm scared for her",
        "i wrote a letter to my younger self in therapy",
    ],
)
def test_not_a_preparation(text: str) -> None:
    s = run(f"u: {text}")
    assert not codes(s) & {"preparatory_behaviour", "plan"}
    assert s.suggested_tier in ("low", "moderate")


# ---- people helping others --------------------------------------------------------------------


@pytest.mark.parametrize(
    "lines",
    [
        ("u: please don't do it, you matter. call 988 or text 741741, they helped me",),
        (
            "u: if you're thinking about killing yourself please reach out to someone",
            "u: suicide is never the answer, the pain can get better",
        ),
        ("u: my friend said she wants to die and i don't know how to help her",),
        ("u: It's ok to say the word suicide. Asking directly doesn't put the idea there.",),
        (
            'u: my mom said "just get over it" and my friend texted me "i want to kill myself"',
            "u: i'm so worried about her",
        ),
        ("u: ok. i'm gonna do it. i'll ask her tonight if she's thinking about suicide",),
    ],
)
def test_helpers_are_not_raised(lines: tuple[str, ...]) -> None:
    s = run(*lines)
    assert s.suggested_tier in ("low", "moderate")
    assert "expressed_intent" not in codes(s)
    assert "suicidal_ideation" not in codes(s)


def test_quoted_words_of_someone_else_are_never_the_persons_evidence() -> None:
    text = 'my friend texted me "i want to kill myself tonight" and i am scared'
    s = run(f"u: {text}")
    assert "suicidal_ideation" not in codes(s)
    assert s.third_party
    own = run('u: i told my mom "i want to kill myself" and she laughed')
    assert "suicidal_ideation" in codes(own)


def test_helper_who_also_speaks_of_themself_is_raised() -> None:
    s = run(
        "u: please don't do it, you matter to all of us",
        "u: honestly i've been stockpiling my own pills too and i want to die",
    )
    assert s.suggested_tier in ("high", "imminent")


# ---- long writing -----------------------------------------------------------------------------


def _long_cases() -> list[dict[str, Any]]:
    return [c for c in load_cases([DEFAULT_SET]) if "long" in c["tags"]]


def test_long_posts_are_read_whole() -> None:
    """Risk said in the last lines of a post of thousands of words is found, and the evidence
    is verbatim over every long transcript."""
    filler = (
        "> my coach said 'just push through it' lol 🙄\n"
        "**update:** work was ok. we had tacos. my cat knocked a plant over.\n"
        "1. laundry\n2. call the bank\n3. groceries\n"
    )
    post = filler * 120 + "anyway. i cut myself again last night and it was deeper."
    s = run("u: " + filler * 40, "a: Thanks for sharing.", "u: " + post)
    assert len(post.split()) > 3000
    assert "self_harm" in codes(s)
    assert s.suggested_tier == "high"
    for case in _long_cases():
        lines = transcript_of(case)
        assert_verbatim(summarize(transcript=lines), lines)


def test_evidence_is_verbatim_over_every_transcript_of_both_parts() -> None:
    """The invariant, not a figure: every quote is the person's own words, exactly, in each of
    the 745 transcripts, the held-out part's included (its tiers are never checked here)."""
    for case in load_cases([p for p in PARTS.values() if p.exists()]):
        lines = transcript_of(case)
        assert_verbatim(summarize(transcript=lines), lines)


# ---- wider phrasing: a dropped subject, injury told by its result, burns by the object --------


@pytest.mark.parametrize(
    "text",
    [
        "Burned myself again. Third night running.",
        "cut again after work today, i'm so tired of this",
        "sh'd again tonight, 9 days gone",
        "i scrached my legs till they bled last night",
        "I dig my nails into my wrists until they bleed, every night this month",
        "i slammed my fist into the door until my knuckles split this morning",
        "I stubbed a cigarette out on my thigh yesterday",
        "Held a lighter to my arm again after the argument.",
    ],
)
def test_self_harm_in_other_words_is_high(text: str) -> None:
    lines = [TranscriptLine(role="user", text=text)]
    s = summarize(transcript=lines)
    assert "self_harm" in codes(s)
    assert s.suggested_tier in ("high", "imminent")
    assert_verbatim(s, lines)


@pytest.mark.parametrize(
    "text",
    [
        "I have never put a cigarette out on my arm.",
        "my cousin scratches her arms till they bleed",
        "my dad hit me until i bled",
        "- cutting\n- giving away belongings\n- talking about being a burden",
        "Burned the toast again, smoke alarm went off.",
        "cut my hours at work again this week",
    ],
)
def test_other_words_that_are_not_the_persons_self_harm(text: str) -> None:
    s = run(f"u: {text}")
    assert "self_harm" not in codes(s)
    assert s.suggested_tier in ("low", "moderate")


def test_injury_by_its_result_long_ago_stays_history() -> None:
    s = run("u: I used to scratch my arms till they bled when I was 15. It's been 8 years.")
    assert "self_harm" in codes(s)
    assert s.suggested_tier == "low"
    assert "self-harm history" in s.headline


def test_a_content_warning_on_their_own_post_names_what_relapsed_means() -> None:
    s = run("u: cw: sh. I had 300 days. I relapsed tonight and I hate myself for it.")
    assert "self_harm" in codes(s) and "substance_use" not in codes(s)
    assert s.suggested_tier == "high"
    # Without the warning, "relapsed" alone stays ambiguous.
    plain = run("u: I had 300 days. I relapsed tonight.")
    assert "self_harm" not in codes(plain)


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("Jumped off the overpass by my school two weeks ago. Still can't believe I'm here.", None),
        ("six weeks ago my brother found me trying to hang myself in the basement", None),
        ("I stood on the ledge of the parking deck and let go. That was 5 weeks ago.", None),
        ("Drove into a tree on purpose last month. They think it was ice.", "last month"),
        ("i sat in the car in the garage with the engine running a month ago", "a month ago"),
    ],
)
def test_attempts_told_without_the_word_attempt_are_high_when_recent(
    text: str, when: str | None
) -> None:
    lines = [TranscriptLine(role="user", text=text)]
    s = summarize(transcript=lines)
    assert "prior_attempt" in codes(s)
    assert s.suggested_tier == "high"
    assert not s.attempt_in_progress
    if when:
        assert f"prior attempt ({when})" in s.headline
    assert_verbatim(s, lines)


@pytest.mark.parametrize(
    "text",
    [
        "Attempted twice in my twenties. I'm 50 now and doing well.",
        "Suicide attempt survivor here, 2004. Life got good, slowly.",
        "The summer I tried, I was 19. That was a long time ago and I'm okay.",
        "I was 17 when I tried to die. I'm 40 now.",
    ],
)
def test_distant_attempts_in_other_words_are_moderate(text: str) -> None:
    s = run(f"u: {text}")
    assert "prior_attempt" in codes(s)
    assert s.suggested_tier == "moderate"


@pytest.mark.parametrize(
    "text",
    [
        "my roommate jumped off the parking garage roof last year",
        "I have never tried to die, I just feel empty",
        "my mom walked in on my brother trying to hang himself",
        "I jumped off the diving board at the pool today",
        "we sat in the car in the driveway with the engine running to stay warm",
    ],
)
def test_not_the_persons_attempt_in_other_words(text: str) -> None:
    s = run(f"u: {text}")
    assert "prior_attempt" not in codes(s)
    assert s.suggested_tier in ("low", "moderate")


def test_a_named_medicine_being_saved_is_a_preparation() -> None:
    s = run("u: i've been stockpiling my seroquel since march. just in case.")
    assert "preparatory_behaviour" in codes(s)
    assert s.suggested_tier in ("high", "imminent")
    told = run("u: I never saved up my zoloft, I take it every morning.")
    assert "preparatory_behaviour" not in codes(told)


def test_a_cord_tied_to_a_hanging_point_is_rehearsal() -> None:
    s = run("u: tied a belt to the door handle last night and sat with it for a while")
    assert "rehearsal" in codes(s)
    assert s.suggested_tier in ("high", "imminent")
    other = run("u: my brother tied a belt to the door handle, i found him in time")
    assert "rehearsal" not in codes(other)


def test_in_the_car_on_the_bridge_about_to_climb_over_is_imminent() -> None:
    s = run("u: i'm in my car on the bridge. i'm going to climb over.")
    assert s.suggested_tier == "imminent"
    fence = run("u: I'm going to climb over the fence to get my ball back")
    assert fence.suggested_tier == "low"
