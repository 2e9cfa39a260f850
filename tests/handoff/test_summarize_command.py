import io
import json
import sys
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from handoff.demo.sample import sample_handoff


def _run(stdin: str) -> list[dict]:
    out = io.StringIO()
    with mock.patch.object(sys, "stdin", io.StringIO(stdin)):
        try:
            call_command("summarize", stdout=out)
        finally:
            pass
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_summarize_reads_json_lines_and_writes_one_summary_each() -> None:
    lines = [
        json.dumps(sample_handoff(level="high")),
        json.dumps(
            {
                "transcript": [
                    {
                        "role": "user",
                        "text": "I'm standing on the edge of the bridge and I'm going to jump",
                    }
                ]
            }
        ),
    ]
    results = _run("\n".join(lines) + "\n")
    assert len(results) == 2
    for result, line in zip(results, lines, strict=True):
        assert {"suggested_tier", "headline", "cad_line", "evidence", "engine"} <= set(result)
        transcript = json.loads(line)["transcript"]
        for span in result["evidence"]:
            assert transcript[span["message"]]["text"][span["start"] : span["end"]] == span["text"]
    assert results[1]["suggested_tier"] in ("high", "imminent")


def test_summarize_reports_bad_lines_and_fails() -> None:
    out = io.StringIO()
    with (
        mock.patch.object(sys, "stdin", io.StringIO('{"transcript": []}\nnot json\n')),
        pytest.raises(CommandError, match="2 line"),
    ):
        call_command("summarize", stdout=out)
    errors = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [e["line"] for e in errors] == [1, 2]
