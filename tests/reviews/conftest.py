# The case world of the case-page tests: a claimed case with its summary, and a directory.
from tests.cases.conftest import directory, world

__all__ = ["directory", "world"]
