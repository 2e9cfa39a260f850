"""A small event log made the way the console makes one, for the audit tests on PostgreSQL and
(run through `manage.py shell` in a subprocess) on the embedded SQLite default."""

import json
import uuid
from dataclasses import dataclass

from counselors.models import Role, User
from counselors.services import staff_create
from handoff.audit.checkpoints import checkpoints_record
from handoff.demo.sample import sample_handoff
from handoff.dispositions.services import note_add
from handoff.events import event_record
from handoff.intake import schema
from handoff.intake.services import handoff_create
from handoff.models import EventKind, Handoff, Platform
from handoff.platforms import platform_create
from handoff.queue.services import handoff_claim

PASSWORD = "a-long-test-passphrase-1"


@dataclass
class Log:
    cases: list[str]  # the first holds the most events
    counselor: User
    supervisor: User


def seed(*, cases: int = 3) -> Log:
    """Cases taken in, claimed, noted and viewed; a checkpoint signs them; then one more event
    on the first case (so its newest is past the checkpoint)."""
    suffix = uuid.uuid4().hex[:6]
    platform_create(slug=f"seed-{suffix}", name="Seed platform")
    counselor = staff_create(username=f"casey-{suffix}", password=PASSWORD, role=Role.COUNSELOR)
    supervisor = staff_create(username=f"morgan-{suffix}", password=PASSWORD, role=Role.SUPERVISOR)
    platform = Platform.objects.get(slug=f"seed-{suffix}")
    ids = []
    for _ in range(cases):
        body = json.dumps(sample_handoff(level="high"))
        data = schema.HandoffCreate.model_validate_json(body)  # as intake reads a body
        answer = handoff_create(platform=platform, webhook_id=f"msg_{uuid.uuid4().hex}", data=data)
        ids.append(str(answer.body["id"]))
    first = Handoff.objects.get(pk=ids[0])
    handoff_claim(handoff_id=ids[0], counselor=counselor)
    note_add(handoff_id=ids[0], author=counselor, text="Talked; safe for tonight.")
    event_record(handoff=first, kind=EventKind.VIEWED, actor=supervisor)
    checkpoints_record()
    event_record(handoff=first, kind=EventKind.VIEWED, actor=counselor)
    return Log(cases=ids, counselor=counselor, supervisor=supervisor)
