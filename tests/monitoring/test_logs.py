"""Log lines: JSON (or text) with the request, case, user and task ids, and never what a person
said, their phone number or where they are."""

import contextlib
import io
import json
import logging
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.db import connection
from django.db.models import F
from django.test import Client

from handoff.demo.sample import sample_handoff
from handoff.models import Callback, CallbackStatus, Handoff
from handoff.monitoring import logs
from tests.intake.test_failures import postgres_unreachable
from tests.support import servers
from tests.support.factories import signed_headers
from tests.support.receiver import Receiver
from tests.support.servers import celery_worker, daphne, free_port, redis_server
from tests.support.staff import StaffHttp, make_staff, session_cookie, signed_in
from tests.support.waiting import until


def _line(formatter: logging.Formatter, extra: dict | None = None, **fields: object) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(logs.ContextFilter())
    logger = logging.getLogger("tests.monitoring.example")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with logs.bound(**fields):
            logger.warning("case %s: summary not built (%s)", "c-1", "ValueError", extra=extra)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue().rstrip("\n")


def test_a_json_line_carries_time_level_logger_and_the_context_ids() -> None:
    line = json.loads(_line(logs.JsonFormatter(), request_id="ab" * 16, case_id="c-1", user_id=7))
    assert line["level"] == "WARNING"
    assert line["logger"] == "tests.monitoring.example"
    assert line["message"] == "case c-1: summary not built (ValueError)"
    assert (line["request_id"], line["case_id"], line["user_id"]) == ("ab" * 16, "c-1", "7")
    at = datetime.fromisoformat(line["time"])
    assert at.tzinfo is not None and abs(datetime.now(tz=UTC) - at) < timedelta(minutes=1)
    # Nothing known, nothing written: no empty ids.
    assert "user_id" not in json.loads(_line(logs.JsonFormatter(), request_id="ab" * 16))
    # What the line itself says wins over the context.
    own = json.loads(_line(logs.JsonFormatter(), extra={"user_id": 9, "door": "x"}, user_id=7))
    assert (own["user_id"], own["door"]) == (9, "x")


def test_a_text_line_is_for_a_person_at_a_terminal() -> None:
    line = _line(logs.TextFormatter(), request_id="ab" * 16, case_id="c-1")
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING tests\.monitoring\.example "
        r"case c-1: summary not built \(ValueError\) request_id=(ab){16} case_id=c-1",
        line,
    ), line


def test_a_request_id_is_the_proxys_when_well_formed_and_fresh_otherwise(db) -> None:
    proxy_id = uuid.uuid4().hex
    kept = Client().get("/healthz", headers={"X-Request-ID": proxy_id})
    assert kept["X-Request-ID"] == proxy_id
    fresh = Client().get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", fresh["X-Request-ID"])
    # The header is the client's to fill: a phone number or a name never reaches a log.
    for sent in ("+16145550142", "6145550142", "Sam Smith", "x" * 40, proxy_id + "\n"):
        answered = Client().get("/healthz", headers={"X-Request-ID": sent})["X-Request-ID"]
        assert answered != sent and re.fullmatch(r"[0-9a-f]{32}", answered)


# --- Through the real stack ----------------------------------------------------------------

PHRASE = "lanterns over the quiet orchard"
PHONE = "+16145557319"
# The forms a phone number takes in text: international, national, dashed, spaced.
PHONE_FORMS = ("6145557319", "614-555-7319", "614 555 7319", "(614) 555-7319", "555-7319")
STREET = "88 Wrenfield Crescent"
SECRETS = (PHRASE, PHONE, *PHONE_FORMS, STREET)

# Celery prints this itself on a stop signal, outside logging (celery.apps.worker).
CELERY_SHUTDOWN = re.compile(r"worker: (Warm|Cold) shutdown \(MainProcess\)")


def _body() -> dict:
    body = sample_handoff(level="imminent")
    body["contact"]["phone"] = PHONE
    body["location"]["civic"]["street"] = STREET
    body["transcript"][0]["text"] = f"Tonight I keep thinking about {PHRASE}."
    body["transcript"][2]["text"] = f"Call me at {PHONE_FORMS[3]}, I am at {STREET}."
    return body


def _post(base: str, url: str, body: dict | bytes, secret: str, **headers: str) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = signed_headers(secret=secret, body=raw) | headers
    sent["content-type"] = "application/json"
    return httpx.post(f"{base}{url}", content=raw, headers=sent, timeout=10)


def _at(seconds_ago: int = 0) -> str:
    return (datetime.now(tz=UTC) - timedelta(seconds=seconds_ago)).isoformat()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_no_log_line_of_any_server_holds_what_a_person_said(platform_factory) -> None:
    """A transcript with a distinctive phrase, a phone number and a street goes through intake,
    the summary worker, the case page, a note, a relayed message, a failing callback and the
    close; then every line every server of this test session wrote is searched for them."""
    platform = platform_factory()
    casey = make_staff("casey")
    browser = StaffHttp(session_cookie(casey))
    database = connection.settings_dict["NAME"]
    env = {"LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG"}
    secret = platform.inbound_secret
    api = f"/api/v1/platforms/{platform.slug}/handoffs"

    with contextlib.ExitStack() as stack:
        receiver = stack.enter_context(Receiver(platform.outbound_secret, fail_times=1))
        platform.platform.callback_url = receiver.url
        platform.platform.save(update_fields=["callback_url"])
        redis_url = stack.enter_context(redis_server(free_port()))
        base = stack.enter_context(daphne(database_name=database, redis_url=redis_url, env=env))
        stack.enter_context(celery_worker(database_name=database, redis_url=redis_url, env=env))

        posted = _post(base, api, _body(), secret, **{"X-Request-ID": PHONE_FORMS[0]})
        assert posted.status_code == 202, posted.text
        assert posted.headers["X-Request-ID"] != PHONE_FORMS[0]
        case_id = posted.json()["id"]
        more = {"messages": [{"role": "user", "text": f"{PHRASE}, {PHONE}", "at": _at()}]}
        assert _post(base, f"{api}/{case_id}/messages", more, secret).status_code == 202
        # Refused bodies and signatures say why without echoing what they were sent.
        bad = _body() | {"external_id": f"{PHRASE} {PHONE}" * 20}
        assert _post(base, api, bad, secret).status_code == 422
        assert _post(base, api, _body(), "whsec_" + "B" * 32).status_code == 401
        assert _post(base, api, f"{PHRASE} {PHONE}".encode(), secret).status_code == 400

        until(
            lambda: Handoff.objects.filter(
                pk=case_id, transcript_version=4, summarized_version=F("transcript_version")
            ).exists(),
            what="the worker to summarize the whole transcript",
        )
        assert browser.post(f"{base}/cases/{case_id}/claim").status_code == 302
        page = browser.get(f"{base}/cases/{case_id}/")
        assert page.status_code == 200 and PHRASE in page.text and STREET in page.text
        note = browser.post(f"{base}/cases/{case_id}/notes", {"text": f"{PHRASE} {PHONE}"})
        assert note.status_code == 302
        relay = browser.post(f"{base}/cases/{case_id}/relay", {"text": f"{PHRASE} {STREET}"})
        assert relay.status_code == 302
        closed = browser.post(
            f"{base}/cases/{case_id}/close",
            {"outcome": "deescalated", "what_helped": f"{PHRASE} at {STREET}"},
        )
        assert closed.status_code == 302
        until(
            lambda: (
                not Callback.objects.filter(
                    handoff_id=case_id, status=CallbackStatus.PENDING
                ).exists()
            ),
            what="every callback to fail once, then arrive",
        )
        assert any(PHRASE in json.dumps(d.body) for d in receiver.deliveries)  # the relay

    files = sorted(servers.log_dir().glob("*.log"))
    console = [f for f in files if re.search(r"-(daphne|celery)-\d+\.log$", f.name)]
    assert len(console) >= 2
    records = []
    for file in console:
        for text in file.read_text().splitlines():
            if not text.strip() or CELERY_SHUTDOWN.fullmatch(text):
                continue
            record = json.loads(text)  # every line a JSON object
            assert {"time", "level", "logger", "message"} <= set(record), text
            records.append(record)
    # The ids a reader follows a case by: the claim's line names request, case and user.
    claim = next(
        r
        for r in records
        if r.get("route") == "/cases/<uuid:handoff_id>/claim" and r.get("case_id") == case_id
    )
    assert claim["user_id"] == str(casey.pk)
    assert re.fullmatch(r"[0-9a-f]{32}", claim["request_id"])
    # A task's lines carry the id of the request that queued it.
    intake_id = posted.headers["X-Request-ID"]
    assert any(r.get("task") and r.get("request_id") == intake_id for r in records)

    found = [
        f"{file.name}: {line}"
        for file in files
        for line in file.read_text().splitlines()
        if any(secret.lower() in line.lower() for secret in SECRETS)
    ]
    assert found == []


@pytest.mark.django_db(transaction=True)
def test_with_postgres_down_a_signed_in_page_is_still_a_503(platform_factory) -> None:
    """The log context reads the signed-in user from the session before the view runs; a
    database that does not answer then must still give the view's 503, not a 500."""
    client = signed_in(make_staff("casey"))
    client.raise_request_exception = False
    with postgres_unreachable():
        response = client.get("/")
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
