"""Who may do what on every console URL: a role x URL x method matrix, walked from the URL
resolver itself, so a URL added without saying who may use it fails here.

Roles: an anonymous visitor, the counselor holding the case, another counselor, a supervisor
and an admin. Methods: GET and POST (the test client does not check CSRF tokens, so a POST
reaches the view as a form post from the page would). Every request runs in a savepoint that is
rolled back, so each one meets the same world: the holder's claimed case with a note, an alert
and a help request, two more held open by a mobile crisis team on its way and by an emergency
call awaiting its confirmation, and a closed one queued for review with a follow-up; a waiting
case; and the other counselor's own cases.

Nothing may answer 500; anonymous visitors are sent to sign in (or told the method is not
allowed, which says nothing about the console); counselors get 403 on every supervisor URL.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from counselors.models import Role, User
from handoff.models import (
    Alert,
    AlertKind,
    EmergencyCall,
    FollowUp,
    Handoff,
    HandoffEvent,
    HelpRequest,
    MobileCrisisDispatch,
    Note,
    Outcome,
    Review,
    Status,
)
from tests.support.factories import handoff_body, post_signed
from tests.support.staff import make_staff, verified_login

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "holder", "other", "supervisor", "admin")
COUNSELORS = ("holder", "other")
LOGIN = "sign in"  # a redirect to /accounts/login/?next=<the URL>

# Not console pages: the platforms' signed API (its own tests cover it) and Django's admin.
SKIPPED_PREFIXES = ("api/", "admin/")


class World:
    """One of each thing a console URL names, and a signed-in client for each role."""

    def __init__(self, platform_factory: Any, settings: Any) -> None:
        # The holder works four cases at once here, one past the default limit.
        settings.COUNSELOR_MAX_OPEN_CASES = 5
        # Nobody signs in with a password here (force_login): a fast hasher saves seconds a test.
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        self.platform = platform_factory()
        self.holder = make_staff("casey", display_name="Casey")
        self.other = make_staff("riley", display_name="Riley")
        self.supervisor = make_staff("morgan", role=Role.SUPERVISOR, display_name="Morgan")
        self.admin = make_staff("alex", role=Role.ADMIN, display_name="Alex")
        now = timezone.now()

        # The holder's closed case, queued for review: closed the way a counselor closes one,
        # by recording an emergency call and that services reached the person. Its follow-up
        # is due tomorrow: not on the floor, so only its counselor and supervisors may work it.
        self.closed = self._intake()
        self._claim(self.holder, self.closed)
        self._call(self.closed)
        call = EmergencyCall.objects.get(handoff_id=self.closed)
        self._post(
            f"/cases/{self.closed}/emergency/{call.pk}/confirm", {"contact_confirmed": "yes"}
        )
        assert Handoff.objects.get(pk=self.closed).status == Status.CLOSED
        self.follow_up = FollowUp.objects.create(
            handoff_id=self.closed, counselor=self.holder, due_at=now + timedelta(days=1)
        )

        # The holder's claimed case, with a note, an alert and a help request: free to close.
        self.case = self._intake()
        self._claim(self.holder, self.case)
        self.note = Note.objects.create(handoff_id=self.case, author=self.holder, text="Talked.")
        self.alert = Alert.objects.create(
            handoff_id=self.case, kind=AlertKind.TARGET_MISSED, text="Target missed"
        )
        self.help = HelpRequest.objects.create(handoff_id=self.case, asked_by=self.holder)

        # Two more of the holder's cases, each keeping its case open: a mobile crisis team on
        # its way, and an emergency call waiting for its confirmation.
        self.dispatched = self._intake()
        self._claim(self.holder, self.dispatched)
        self.dispatch = MobileCrisisDispatch.objects.create(
            handoff_id=self.dispatched,
            team_name="Team",
            requested_by=self.holder,
            requested_at=now - timedelta(minutes=10),
        )
        self.called = self._intake()
        self._claim(self.holder, self.called)
        self._call(self.called)
        self.call = EmergencyCall.objects.get(handoff_id=self.called)

        # A case nobody holds yet.
        self.waiting = self._intake()

        # The other counselor's own cases, one held and one closed.
        self.others_case = self._intake()
        self._claim(self.other, self.others_case)
        others_closed = Handoff.objects.get(pk=self._intake())
        others_closed.status, others_closed.outcome = Status.CLOSED, Outcome.DEESCALATED
        others_closed.claimed_by, others_closed.claimed_at = self.other, now
        others_closed.closed_at = now
        others_closed.save()
        self.others_closed = str(others_closed.pk)

    def _intake(self) -> str:
        response = post_signed(
            Client(),
            self.platform.url(),
            secret=self.platform.inbound_secret,
            body=handoff_body(),
        )
        assert response.status_code == 202, response.content
        return str(response.json()["id"])

    @staticmethod
    def _claim(user: User, case_id: str) -> None:
        client = Client()
        verified_login(client, user)
        assert client.post(f"/cases/{case_id}/claim").status_code == 302

    def _post(self, url: str, data: dict[str, Any]) -> None:
        client = Client()
        verified_login(client, self.holder)
        response = client.post(url, data)
        assert response.status_code == 302, (url, response.status_code, _said(response))

    def _call(self, case_id: str) -> None:
        self._post(f"/cases/{case_id}/emergency", emergency_call())

    def user(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)

    def client(self, role: str) -> Client:
        # A 500 comes back as a response to report, not as an exception that stops the walk.
        client = Client(raise_request_exception=False)
        user = self.user(role)
        if user is not None:
            verified_login(client, user)
        return client


def _local(at: Any) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")


def emergency_call() -> dict[str, Any]:
    """The smallest record of a call placed by hand: dialed now, the person agreeing."""
    return {
        "center_name": "Center",
        "center_number": "6145550100",
        "dialed_at": _local(timezone.now()),
        "relayed": "Location and risk.",
        "person_consented": "yes",
    }


Expect = dict[str, int | str | tuple[int, ...]]


def each(status: int | str, **roles: int | str | tuple[int, ...]) -> Expect:
    """Signed-in staff all answer `status` unless named; anonymous is sent to sign in."""
    expect: Expect = {r: status for r in ROLES}
    expect["anonymous"] = LOGIN
    expect.update(roles)
    return expect


def supervisors(ok: int) -> Expect:
    return each(ok, holder=403, other=403)


def holder_or_supervisor(ok: int, *, other: int = 403) -> Expect:
    return each(ok, other=other)


@dataclass(frozen=True)
class Row:
    """What each role gets from one URL. `get`/`post` None: the method is not allowed (405 for
    everyone, before any sign-in check). `kwargs` fills the URL from the world; `data` is the
    smallest valid form for the POST."""

    kwargs: Callable[[World], dict[str, Any]] = lambda w: {}
    get: Expect | None = None
    post: Expect | None = None
    data: Callable[[World], dict[str, Any]] = field(default=lambda w: {})


def case(w: World) -> dict[str, Any]:
    return {"handoff_id": w.case}


def closed(w: World) -> dict[str, Any]:
    return {"handoff_id": w.closed}


def follow_up(w: World) -> dict[str, Any]:
    return {"follow_up_id": w.follow_up.pk}


PUBLIC: Expect = {r: 200 for r in ROLES}

# One row per URL name in config/urls.py (outside the API and the admin).
TABLE: dict[str, Row] = {
    "dashboard": Row(get=each(200)),
    # Signed-in staff are sent on from the sign-in page, whatever the method.
    "login": Row(get=each(302, anonymous=200), post=each(302, anonymous=200)),
    "logout": Row(post=each(302, anonymous=302)),
    "healthz": Row(get=PUBLIC),
    "readyz": Row(get=PUBLIC),
    # Only a scraper with METRICS_TOKEN; no session opens it. Off (404) while the token is
    # unset, as here; with one, 401 without it (tests/monitoring/test_metrics.py).
    "metrics": Row(get={r: 404 for r in ROLES}),
    # --- a case and its actions: its holder and supervisors ---------------------------------
    "case-detail": Row(case, get=holder_or_supervisor(200)),
    "case-live": Row(case, get=holder_or_supervisor(200)),
    "case-export": Row(case, get=holder_or_supervisor(200)),
    "case-emergency": Row(
        case,
        get=holder_or_supervisor(200),
        post=holder_or_supervisor(302),
        data=lambda w: emergency_call(),
    ),
    # Any counselor may claim a waiting case.
    "case-claim": Row(lambda w: {"handoff_id": w.waiting}, post=each(302)),
    # Release and transfer refuse a non-holder as a lost race would: 409 with the reason.
    "case-release": Row(case, post=holder_or_supervisor(302, other=409)),
    "case-transfer": Row(
        case,
        post=holder_or_supervisor(302, other=409),
        data=lambda w: {"to": w.admin.pk, "note": "Knows the platform."},
    ),
    "case-attempt": Row(
        case,
        post=holder_or_supervisor(302),
        data=lambda w: {"channel": "phone", "result": "no_answer"},
    ),
    "case-note": Row(case, post=holder_or_supervisor(302), data=lambda w: {"text": "A note."}),
    # What the holder is doing: a supervisor may act on the case but is not on the phone (400).
    "case-contact-status": Row(
        case, post=each(400, holder=302, other=403), data=lambda w: {"status": "on_phone"}
    ),
    # Only its author edits a note; a supervisor is told so (400), not refused the case.
    "case-note-edit": Row(
        lambda w: {"handoff_id": w.case, "note_id": w.note.pk},
        post=each(302, other=403, supervisor=400, admin=400),
        data=lambda w: {"text": "Edited."},
    ),
    "case-relay": Row(
        case, post=holder_or_supervisor(302), data=lambda w: {"text": "We are here for you."}
    ),
    "case-assessment": Row(case, post=holder_or_supervisor(302), data=lambda w: {"tier": "high"}),
    "case-close": Row(
        case,
        post=holder_or_supervisor(302),
        data=lambda w: {"outcome": "deescalated", "what_helped": "Talking it through."},
    ),
    "case-dispatch": Row(
        case,
        post=holder_or_supervisor(302),
        data=lambda w: {"team_name": "Team", "requested_at": _local(timezone.now())},
    ),
    "case-dispatch-update": Row(
        lambda w: {"handoff_id": w.dispatched, "dispatch_id": w.dispatch.pk},
        post=holder_or_supervisor(302),
        data=lambda w: {"status": "accepted", "at": _local(timezone.now())},
    ),
    "case-emergency-confirm": Row(
        lambda w: {"handoff_id": w.called, "call_id": w.call.pk},
        post=holder_or_supervisor(302),
        data=lambda w: {"contact_confirmed": "yes"},
    ),
    # Only the counselor holding the case asks for a supervisor on it.
    "case-help": Row(case, post=each(409, holder=302), data=lambda w: {"text": "Please join."}),
    # --- supervisors only --------------------------------------------------------------------
    "case-amend": Row(
        closed, post=supervisors(302), data=lambda w: {"reason": "Typo.", "text": "Corrected."}
    ),
    "case-review": Row(closed, post=supervisors(302), data=lambda w: {"comment": "Looked at."}),
    # The other counselor's closed case: no open follow-up holds its erasure back.
    "case-erase": Row(
        lambda w: {"handoff_id": w.others_closed},
        post=supervisors(302),
        data=lambda w: {"reason": "The person asked for it."},
    ),
    "reviews": Row(get=supervisors(200)),
    "floor": Row(get=supervisors(200)),
    "floor-alert-ack": Row(lambda w: {"alert_id": w.alert.pk}, post=supervisors(302)),
    "floor-help-answer": Row(lambda w: {"help_id": w.help.pk}, post=supervisors(302)),
    "floor-reassign": Row(
        case,
        post=supervisors(302),
        data=lambda w: {"to": w.other.pk, "note": "Knows the platform."},
    ),
    "reports": Row(get=supervisors(200)),
    "reports-csv": Row(get=supervisors(200)),
    "reports-platform-csv": Row(lambda w: {"slug": w.platform.slug}, get=supervisors(200)),
    "audit": Row(get=supervisors(200)),
    # --- sign-in and sessions: everyone's own, and the supervisors' staff page ----------------
    # The expiry warning's status, and its "stay signed in": anyone (signed out: says so).
    "session-status": Row(get=PUBLIC),
    "session-keep": Row(post=PUBLIC),
    "account": Row(get=each(200)),
    # Without the password and a code, nothing changes (400).
    "account-authenticator": Row(post=each(400)),
    "account-authenticator-confirm": Row(post=each(400), data=lambda w: {"new_token": "123456"}),
    "account-backup-codes": Row(post=each(400)),
    "account-sign-out-everywhere": Row(post=each(302)),
    "account-preferences": Row(
        post=each(302), data=lambda w: {"theme": "dark", "alert_sound": "quiet"}
    ),
    "staff": Row(get=supervisors(200)),
    "staff-sessions-end": Row(lambda w: {"user_id": w.other.pk}, post=supervisors(200)),
    "staff-factor-reset": Row(lambda w: {"user_id": w.other.pk}, post=supervisors(200)),
    "staff-unlock": Row(lambda w: {"user_id": w.other.pk}, post=each(403, admin=200)),
    # --- everyone's own ----------------------------------------------------------------------
    "availability": Row(post=each(302), data=lambda w: {"availability": "away"}),
    "case-history": Row(get=each(200)),
    "follow-ups": Row(get=each(200)),
    "follow-up-detail": Row(follow_up, get=holder_or_supervisor(200)),
    # Taking one's own is a no-op; a supervisor cannot take one that is not on the floor.
    "follow-up-take": Row(follow_up, post=each(302, other=403, supervisor=409, admin=409)),
    "follow-up-attempt": Row(
        follow_up,
        post=holder_or_supervisor(302),
        data=lambda w: {"channel": "phone", "result": "no_answer"},
    ),
    "follow-up-note": Row(
        follow_up, post=holder_or_supervisor(302), data=lambda w: {"text": "Called back."}
    ),
    "follow-up-done": Row(follow_up, post=holder_or_supervisor(302)),
    "follow-up-not-reached": Row(
        follow_up,
        post=holder_or_supervisor(302),
        data=lambda w: {"next_at": _local(timezone.now() + timedelta(days=1))},
    ),
}

# The list of supervisor URLs: counselors get 403 on each, whatever the case.
SUPERVISOR_URLS = (
    "floor",
    "floor-alert-ack",
    "floor-help-answer",
    "floor-reassign",
    "reviews",
    "case-review",
    "case-amend",
    "case-erase",
    "reports",
    "reports-csv",
    "reports-platform-csv",
    "audit",
    "staff",
    "staff-sessions-end",
    "staff-factor-reset",
    "staff-unlock",
)


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, str | None]]:
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            if route.startswith(SKIPPED_PREFIXES):
                continue
            yield from _walk(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            yield route, p.name


def console_urls() -> dict[str, str]:
    """Every console URL in the resolver: name -> route."""
    urls = {}
    for route, name in _walk(get_resolver().url_patterns):
        if route.startswith(("static/", "media/")):
            continue
        assert name, f"the URL {route!r} has no name, so no row here can say who may use it"
        urls[name] = route
    return urls


def test_every_console_url_has_a_row() -> None:
    urls = console_urls()
    missing = sorted(set(urls) - set(TABLE))
    assert not missing, f"URLs with no row in TABLE (say who may use them): {missing}"
    for name in SUPERVISOR_URLS:
        if name in urls:
            row = TABLE[name]
            for expect in (row.get, row.post):
                if expect is not None:
                    assert all(expect[r] == 403 for r in COUNSELORS), name


def _check(response: Any, expected: int | str | tuple[int, ...], url: str) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"{status} (server error)"
    if expected == LOGIN:
        location = response.get("Location", "")
        if status == 302 and location.startswith("/accounts/login/?next="):
            return None
        return f"{status} {location!r}, not sent to sign in"
    allowed = expected if isinstance(expected, tuple) else (expected,)
    if status not in allowed:
        return f"{status}, expected {expected}{_said(response)}"
    return None


def _said(response: Any) -> str:
    """What the page said was wrong, for the report."""
    html = response.content.decode(errors="replace")
    errors = re.findall(r'class="(?:errorlist[^"]*|error)"[^>]*>(.*?)</(?:ul|p)>', html, re.S)
    text = " | ".join(re.sub(r"<[^>]+>|\s+", " ", e).strip() for e in errors)
    return f" ({text[:300]})" if text else ""


def _request(w: World, role: str, method: str, url: str, data: dict[str, Any]) -> Any:
    client = w.client(role)
    with transaction.atomic():
        response = client.get(url) if method == "GET" else client.post(url, data)
        # Each request meets the same world: what it changed is undone.
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("name", sorted(TABLE))
def test_matrix(name: str, platform_factory: Any, settings: Any) -> None:
    urls = console_urls()
    if name not in urls:
        pytest.skip(f"no URL named {name!r} in config/urls.py")
    w = World(platform_factory, settings)
    row = TABLE[name]
    url = reverse(name, kwargs=row.kwargs(w))
    failures = []
    for method, expect in (("GET", row.get), ("POST", row.post)):
        data = row.data(w) if method == "POST" else {}
        for role in ROLES:
            expected = 405 if expect is None else expect[role]
            response = _request(w, role, method, url, data)
            problem = _check(response, expected, url)
            if problem:
                failures.append(f"{method} {url} as {role}: {problem}")
    assert not failures, "\n".join(failures)


# --- what a refusal leaves untouched ---------------------------------------------------------


@pytest.mark.parametrize("role", COUNSELORS)
def test_a_counselor_refused_a_supervisor_action_changes_nothing(
    role: str, platform_factory: Any, settings: Any
) -> None:
    w = World(platform_factory, settings)
    client = w.client(role)
    events = HandoffEvent.objects.exclude(kind="access_refused").count()
    posts = {
        reverse("floor-alert-ack", kwargs={"alert_id": w.alert.pk}): {},
        reverse("floor-help-answer", kwargs={"help_id": w.help.pk}): {},
        reverse("floor-reassign", kwargs={"handoff_id": w.case}): {
            "to": w.other.pk,
            "note": "Mine now.",
        },
        reverse("case-review", kwargs={"handoff_id": w.closed}): {"comment": "Signed."},
        reverse("case-amend", kwargs={"handoff_id": w.closed}): {"reason": "x", "text": "y"},
        reverse("case-erase", kwargs={"handoff_id": w.others_closed}): {"reason": "Asked."},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    w.alert.refresh_from_db()
    w.help.refresh_from_db()
    assert w.alert.acknowledged_at is None
    assert w.help.answered_at is None
    assert Handoff.objects.get(pk=w.case).claimed_by == w.holder
    assert not Review.objects.exists()
    assert Handoff.objects.get(pk=w.others_closed).purged_at is None
    # Only the refusals themselves were recorded.
    assert HandoffEvent.objects.exclude(kind="access_refused").count() == events


# --- a counselor's own history -----------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?status=claimed",
        "?status=closed",
        "?page=2",
        "?tier=high",
        "?platform={slug}",
        "?q={others_prefix}",
        "?counselor={other_pk}",
    ],
)
def test_a_counselor_sees_only_their_own_history(
    query: str, platform_factory: Any, settings: Any
) -> None:
    w = World(platform_factory, settings)
    query = query.format(slug=w.platform.slug, others_prefix=w.others_case[:8], other_pk=w.other.pk)
    mine = w.client("holder").get(f"/cases/{query}")
    theirs = w.client("other").get(f"/cases/{query}")
    everyone = w.client("supervisor").get(f"/cases/{query}")
    assert mine.status_code == theirs.status_code == everyone.status_code == 200
    mine_html, theirs_html = mine.content.decode(), theirs.content.decode()
    for case_id in (w.others_case, w.others_closed):
        assert case_id not in mine_html, f"{query}: the other counselor's case is listed"
    for case_id in (w.case, w.dispatched, w.called, w.closed, w.waiting):
        assert case_id not in theirs_html, f"{query}: the holder's case is listed to another"
    if not query:
        assert w.case in mine_html and w.closed in mine_html
        assert w.others_case in theirs_html and w.others_closed in theirs_html
        html = everyone.content.decode()
        assert all(c in html for c in (w.case, w.closed, w.others_case, w.others_closed))


def test_a_counselor_sees_only_their_own_follow_ups(platform_factory: Any, settings: Any) -> None:
    w = World(platform_factory, settings)
    url = reverse("follow-up-detail", kwargs={"follow_up_id": w.follow_up.pk})
    assert url in w.client("holder").get("/follow-ups/").content.decode()
    assert url not in w.client("other").get("/follow-ups/").content.decode()
