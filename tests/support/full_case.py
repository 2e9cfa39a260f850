"""Cases with every encrypted field written, through the console's own doors, each typed text a
distinct marker: what the key-rotation and retention tests read back from the raw columns.

Three cases, because no single one can hold everything: an emergency case (released, handed
over and back, notes, a relayed message, an assessment against the machine, a mobile crisis
team, a 911 call, an amendment, a review, a request for help), a de-escalated one with a safety
plan and a follow-up, and a withdrawn one a supervisor erased with a reason.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.db import connection, models
from django.test import Client
from django.utils import timezone

from counselors.models import Role, User
from handoff.models import (
    EmergencyCall,
    FollowUp,
    Handoff,
    MobileCrisisDispatch,
    Status,
    Tier,
)
from handoff.summary.services import summary_build
from tests.support.factories import PlatformWithSecrets, handoff_body, post_signed
from tests.support.staff import make_staff, signed_in

# Every marker, so a test can look for each in the raw columns. Digits for the phone-like ones.
M = {
    name: f"Qx7{name}"
    for name in (
        "said",
        "metadata",
        "consent",
        "category",
        "release",
        "help",
        "handover",
        "handback",
        "note",
        "noteedit",
        "relay",
        "override",
        "team",
        "teamref",
        "teamnote",
        "teamresult",
        "center",
        "taker",
        "incident",
        "relayed",
        "confirm",
        "amendreason",
        "amendtext",
        "review",
        "helped",
        "plan",
        "followup",
        "erasereason",
    )
}
CENTER_NUMBER = "7405550177"


def _local(at: Any) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")


def _ok(response: Any) -> None:
    assert response.status_code in (200, 302), (response.status_code, response.content[:2000])


@dataclass
class FullCases:
    platform: PlatformWithSecrets
    counselor: User
    supervisor: User
    emergency: str  # closed as an emergency call, held (closed) by the counselor
    deescalated: str  # closed with a safety plan and a done follow-up
    erased: str  # withdrawn, then erased by the supervisor

    @property
    def ids(self) -> tuple[str, str, str]:
        return (self.emergency, self.deescalated, self.erased)


def _intake(p: PlatformWithSecrets, *, level: str = "high") -> str:
    body = handoff_body()
    body["risk"] = {**body["risk"], "level": level, "categories": [M["category"]]}
    body["consent"]["statement"] = f"I agree. {M['consent']}"
    body["metadata"] = {"platform_note": M["metadata"]}
    body["transcript"][0]["text"] = f"I do not want to be here tomorrow. {M['said']}"
    response = post_signed(Client(), p.url(), secret=p.inbound_secret, body=body)
    assert response.status_code == 202, response.content
    case_id = str(response.json()["id"])
    handoff = Handoff.objects.get(pk=case_id)
    summary_build(handoff_id=case_id, transcript_version=handoff.transcript_version)
    return case_id


def full_cases(platform_factory: Any) -> FullCases:
    p = platform_factory()
    casey = make_staff("casey", display_name="Casey")
    morgan = make_staff("morgan", role=Role.SUPERVISOR, display_name="Morgan")
    counselor, supervisor = signed_in(casey), signed_in(morgan)
    now = timezone.now()

    # --- the emergency case --------------------------------------------------------------
    case = _intake(p)
    url = f"/cases/{case}/"
    _ok(counselor.post(f"{url}claim"))
    _ok(counselor.post(f"{url}release", {"reason": M["release"]}))
    _ok(counselor.post(f"{url}claim"))
    _ok(counselor.post(f"{url}help", {"text": M["help"]}))
    _ok(counselor.post(f"{url}transfer", {"to": morgan.pk, "note": M["handover"]}))
    _ok(supervisor.post(f"{url}transfer", {"to": casey.pk, "note": M["handback"]}))
    _ok(counselor.post(f"{url}notes", {"text": M["note"]}))
    note = Handoff.objects.get(pk=case).notes.get()
    _ok(counselor.post(f"{url}notes/{note.pk}/edit", {"text": M["noteedit"]}))
    _ok(counselor.post(f"{url}relay", {"text": M["relay"]}))
    machine = Handoff.objects.get(pk=case).summary_tier
    other = Tier.LOW if machine != Tier.LOW else Tier.HIGH
    _ok(counselor.post(f"{url}assessment", {"tier": other, "override_reason": M["override"]}))
    _ok(
        counselor.post(
            f"{url}mobile-crisis",
            {"team_name": M["team"], "reference": M["teamref"], "requested_at": _local(now)},
        )
    )
    _ok(
        counselor.post(
            f"{url}emergency",
            {
                "center_name": M["center"],
                "center_number": CENTER_NUMBER,
                "dialed_at": _local(now),
                "call_taker": M["taker"],
                "incident_number": M["incident"],
                "relayed": M["relayed"],
                "person_consented": "yes",
            },
        )
    )
    dispatch = MobileCrisisDispatch.objects.get(handoff_id=case)
    for status, extra in (
        ("accepted", {"note": M["teamnote"]}),
        ("completed", {"result": M["teamresult"]}),
    ):
        _ok(
            counselor.post(
                f"{url}mobile-crisis/{dispatch.pk}",
                {"status": status, "at": _local(timezone.now()), **extra},
            )
        )
    call = EmergencyCall.objects.get(handoff_id=case)
    _ok(
        counselor.post(
            f"{url}emergency/{call.pk}/confirm", {"contact_confirmed": "no", "note": M["confirm"]}
        )
    )
    assert Handoff.objects.get(pk=case).status == Status.CLOSED
    _ok(supervisor.post(f"{url}amend", {"reason": M["amendreason"], "text": M["amendtext"]}))
    _ok(supervisor.post(f"{url}review", {"comment": M["review"]}))

    # --- the de-escalated case, with a safety plan and a follow-up -------------------------
    calm = _intake(p, level="moderate")
    calm_url = f"/cases/{calm}/"
    _ok(counselor.post(f"{calm_url}claim"))
    _ok(
        counselor.post(
            f"{calm_url}close",
            {
                "outcome": "deescalated",
                "what_helped": M["helped"],
                "plan_reasons_for_living": M["plan"],
                "follow_up_at": _local(now + timedelta(days=1)),
            },
        )
    )
    # No door writes a follow-up's own note yet; the field is encrypted all the same.
    FollowUp.objects.filter(handoff_id=calm).update(note=M["followup"], done_at=now)

    # --- the withdrawn case a supervisor erased ---------------------------------------------
    gone = _intake(p)
    response = post_signed(
        Client(),
        p.url(f"/{gone}/withdraw"),
        secret=p.inbound_secret,
        body={"reason": "consent_revoked"},
    )
    assert response.status_code == 202, response.content
    _ok(supervisor.post(f"/cases/{gone}/erase", {"reason": M["erasereason"]}))

    return FullCases(
        platform=p,
        counselor=casey,
        supervisor=morgan,
        emergency=case,
        deescalated=calm,
        erased=gone,
    )


def raw_values(model: type[models.Model], column: str) -> list[Any]:
    """A column's values as the database holds them, bypassing the field's decryption."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(column)} FROM {quote(model._meta.db_table)}")
        return [row[0] for row in cursor.fetchall()]


def raw_rows(model: type[models.Model], pks: list[Any], column: str = "*") -> list[Any]:
    """Rows of `model` by primary key, as the database holds them (a column, or all)."""
    if not pks:
        return []
    quote = connection.ops.quote_name
    meta = model._meta
    pk = quote(meta.pk.column)
    what = column if column == "*" else quote(column)
    marks = ", ".join(["%s"] * len(pks))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {what} FROM {quote(meta.db_table)} WHERE {pk} IN ({marks}) ORDER BY {pk}",
            [meta.pk.get_db_prep_value(v, connection) for v in pks],
        )
        return cursor.fetchall()


def raw_database() -> str:
    """Every column of every table of the console, as text: where no marker may appear."""
    return "\n".join(
        repr(value)
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        for value in raw_values(model, f.column)
    )


def markers_in(text: str) -> list[str]:
    return [m for m in M.values() if m in text or m.lower() in text.lower()] + (
        [CENTER_NUMBER] if CENTER_NUMBER in text else []
    )
