import json
import sys
from typing import Any, Literal

from django.core.management.base import BaseCommand, CommandError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from handoff.summary.services import summary_engine
from handoff.summary.types import TranscriptLine, tier_of


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["user", "assistant"]
    text: str


class _Line(BaseModel):
    """A handoff body, or just its transcript: only what the engine reads is looked at."""

    model_config = ConfigDict(extra="ignore")
    transcript: list[_Message] = Field(min_length=1)
    risk: dict[str, Any] | None = None


class Command(BaseCommand):
    help = (
        "Summarize JSON Lines from standard input (each a handoff body or {'transcript': [...]}) "
        "and write one JSON summary per line, so the engine can be checked outside the web "
        "process. A bad line gets {'line': n, 'error': ...} and the exit status is 1."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        engine = summary_engine()
        failures = 0
        for number, raw in enumerate(sys.stdin, start=1):
            if not raw.strip():
                continue
            try:
                line = _Line.model_validate_json(raw)
            except ValidationError as exc:
                failures += 1
                errors = [
                    {"path": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                    for e in exc.errors(include_input=False, include_url=False)
                ]
                self.stdout.write(json.dumps({"line": number, "error": errors}))
                continue
            level = (line.risk or {}).get("level")
            score = (line.risk or {}).get("score")
            summary = engine.summarize(
                transcript=[TranscriptLine(role=m.role, text=m.text) for m in line.transcript],
                platform_level=tier_of(level),
                platform_score=score if isinstance(score, int | float) else None,
            )
            self.stdout.write(json.dumps(summary.model_dump(mode="json"), ensure_ascii=False))
        if failures:
            raise CommandError(f"{failures} line(s) could not be summarized.")
