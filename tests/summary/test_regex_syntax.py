"""Pins what handoff.summary.regex_syntax relies on in CPython's private `re._parser`: if a
Python upgrade changes the shape of a parsed pattern, this fails, not the summary engine."""

import re
from typing import Any

from handoff.summary import regex_syntax as rx


def _only(pattern: str, flags: int = 0) -> tuple[Any, Any]:
    parsed = rx.parse(pattern, flags)
    assert len(parsed) == 1
    return parsed[0]


def test_literals_are_code_points() -> None:
    assert [op is rx.LITERAL and av for op, av in rx.parse("ab")] == [ord("a"), ord("b")]


def test_a_class_lists_literals_ranges_and_categories() -> None:
    op, av = _only(r"[x0-9\d\s]")
    assert op is rx.IN
    assert list(av) == [
        (rx.LITERAL, ord("x")),
        (rx.RANGE, (ord("0"), ord("9"))),
        (rx.CATEGORY, rx.CATEGORY_DIGIT),
        (rx.CATEGORY, rx.CATEGORY_SPACE),
    ]
    assert all(inner_op is not None for inner_op, _ in av)
    assert av[2][1] is rx.CATEGORY_DIGIT and av[3][1] is rx.CATEGORY_SPACE


def test_a_word_boundary_and_lookarounds_are_zero_width_items() -> None:
    (at, boundary), (ahead, ahead_av), (behind, behind_av) = rx.parse(r"\b(?=a)(?!b)")
    assert at is rx.AT and boundary is rx.AT_BOUNDARY
    assert ahead is rx.ASSERT and list(ahead_av[-1]) == [(rx.LITERAL, ord("a"))]
    assert behind is rx.ASSERT_NOT and list(behind_av[-1]) == [(rx.LITERAL, ord("b"))]


def test_an_alternation_holds_its_branches_second() -> None:
    op, av = _only("ax|by")
    assert op is rx.BRANCH and av[0] is None
    assert [list(branch) for branch in av[1]] == [
        [(rx.LITERAL, ord("a")), (rx.LITERAL, ord("x"))],
        [(rx.LITERAL, ord("b")), (rx.LITERAL, ord("y"))],
    ]


def test_a_group_holds_its_sequence_last() -> None:
    for pattern in ("(a)", "(?i:a)"):
        op, av = _only(pattern)
        assert op is rx.SUBPATTERN
        assert list(av[-1]) == [(rx.LITERAL, ord("a"))]


def test_repeats_hold_min_max_and_sequence() -> None:
    for pattern, kind in (
        ("a{1,2}", rx.MAX_REPEAT),
        ("a*?", rx.MIN_REPEAT),
        ("a++", rx.POSSESSIVE_REPEAT),
    ):
        op, av = _only(pattern)
        assert op is kind
        low, high, body = av
        assert isinstance(low, int) and isinstance(high, int)
        assert list(body) == [(rx.LITERAL, ord("a"))]
    assert _only("a{1,2}")[1][:2] == (1, 2)


def test_flags_are_applied_as_re_applies_them() -> None:
    # IGNORECASE changes how literals are matched, not how they are read.
    assert rx.parse("A", re.IGNORECASE) == [(rx.LITERAL, ord("A"))]
