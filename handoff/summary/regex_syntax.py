"""How CPython's `re` module reads a pattern, for the lexicon to derive prefilters from it.

`re._parser` and `re._constants` are private: CPython may change them in any release. The
lexicon reaches them only through this module, and tests/summary/test_regex_syntax.py pins
every shape it relies on, so an upgrade that changes them fails a test instead of the summary
engine. The shapes, per opcode (`op, av` in a parsed sequence; sequences iterate as such pairs):

- LITERAL: the code point; RANGE: (low, high) code points; IN: a list of (op, av) pairs
- CATEGORY: one of the CATEGORY_* objects; AT: one of the AT_* objects
- BRANCH: (None, [sequence, ...]); SUBPATTERN: (..., sequence), the sequence last
- MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT: (min, max, sequence)
- ASSERT, ASSERT_NOT: (direction, sequence)

Opcodes and categories are singletons: compare them with `is`.
"""

from re import _constants, _parser  # type: ignore[attr-defined]
from typing import Any

ASSERT: Any = _constants.ASSERT
ASSERT_NOT: Any = _constants.ASSERT_NOT
AT: Any = _constants.AT
AT_BOUNDARY: Any = _constants.AT_BOUNDARY
BRANCH: Any = _constants.BRANCH
CATEGORY: Any = _constants.CATEGORY
CATEGORY_DIGIT: Any = _constants.CATEGORY_DIGIT
CATEGORY_SPACE: Any = _constants.CATEGORY_SPACE
IN: Any = _constants.IN
LITERAL: Any = _constants.LITERAL
MAX_REPEAT: Any = _constants.MAX_REPEAT
MIN_REPEAT: Any = _constants.MIN_REPEAT
POSSESSIVE_REPEAT: Any = _constants.POSSESSIVE_REPEAT
RANGE: Any = _constants.RANGE
SUBPATTERN: Any = _constants.SUBPATTERN


def parse(pattern: str, flags: int = 0) -> list[tuple[Any, Any]]:
    """The pattern as `re` reads it: a list of (opcode, argument) pairs."""
    return list(_parser.parse(pattern, flags))
