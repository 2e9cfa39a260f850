"""A periodic job skips the case that fails and carries on (handoff/jobs.py); a database that
cannot even begin a transaction ends the run with the database's own error."""

import logging
from unittest import mock

import pytest
from django.db import OperationalError, transaction

from handoff.jobs import CaseRun

pytestmark = pytest.mark.django_db


def test_a_failing_case_is_skipped_and_the_run_goes_on(caplog) -> None:
    run = CaseRun("drill")
    done = []
    with caplog.at_level(logging.WARNING, logger="handoff.jobs"):
        for pk in ("a", "b", "c"):
            with run.case(pk):
                if pk == "b":
                    raise ValueError("this case's data")
                done.append(pk)
    assert done == ["a", "c"]
    assert run.skipped == ["b"]
    assert "drill: skipped b (ValueError)" in caplog.text
    assert "this case's data" not in caplog.text


def test_a_transaction_that_cannot_begin_ends_the_run_with_its_error() -> None:
    run = CaseRun("drill")
    unreachable = OperationalError("connection refused")
    with (
        mock.patch.object(transaction.Atomic, "__enter__", side_effect=unreachable),
        pytest.raises(OperationalError),
        run.case("a"),
    ):
        pytest.fail("the case's work must not run without its transaction")
    assert run.skipped == []
