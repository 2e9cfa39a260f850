"""A hostile-string sweep through every form and endpoint: never a 500, nothing drawn as markup.

The forms are found, not listed: every URL in the resolver is filled from a world of real cases
(the access matrix's, with a follow-up on the floor) and fetched as each role; every <form> and
htmx action on the pages that come back is parsed (action, method, fields), and each of its text
fields gets each hostile value (markup, template syntax, control and direction-control
characters, NUL, 100 KB) while the other fields keep valid values; selects, radios and hidden
fields get the markup once. Every request runs in a savepoint that is rolled back, so each one
meets the same world; a request that succeeds is followed to the page it leads to, which shows
what was stored. The platform API gets hostile strings in every string of its bodies, signed,
and the pages that show what it stored are read; the websockets get hostile frames.

What counts as getting through is in tests/support/hostile.py. Any 500, exception or error log
fails the sweep, which names each request that did it.
"""

import copy
import inspect
import json
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from channels.db import database_sync_to_async
from django.apps import apps
from django.contrib import admin
from django.core.signals import got_request_exception
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils import timezone

from handoff.models import FollowUp
from tests.support.factories import get_signed, handoff_body, post_signed
from tests.support.hostile import (
    HIDDEN_PAYLOAD,
    HUGE_PAYLOAD,
    MARKUP_PAYLOAD,
    NUL_PAYLOAD,
    PAYLOADS,
    SHORT_MARKUP_PAYLOAD,
    TEXT_PAYLOAD,
    TINY_MARKUP_PAYLOAD,
    Payload,
    alerts_in,
    fragment_problems,
    page_problems,
)
from tests.support.sockets import socket
from tests.support.staff import session_cookie
from tests.test_access_matrix import World

ROLES = ("anonymous", "holder", "supervisor", "admin")
TEXT_INPUTS = {"text", "search", "email", "url", "tel", "password", ""}
# POST URLs that no page has a form for, with the fields their view reads: the sweep posts to
# them as it would to a form. A POST URL that is neither here nor behind a form fails
# test_the_sweep_reaches_every_url_that_takes_a_post.
FIELDS_WITHOUT_A_FORM: dict[str, list[str]] = {
    # Editing a note: the case page offers no form for it yet.
    "case-note-edit": ["text"],
    # Confirming a new authenticator: its form is drawn only after one is started.
    "account-authenticator-confirm": ["new_token"],
    # "Stay signed in": the expiry warning's button posts it from script, with no field.
    "session-keep": [],
}
# daphne refuses a request line over 16 KB: a value in a URL is at most this long (encoded, about
# three times as many bytes).
URL_VALUE_MAX = 4000
# URLs the platform API sweep covers (signed requests; no page has a form for them).
API_URLS = {
    "intake:handoff-create",
    "intake:handoff-messages",
    "intake:handoff-withdraw",
    "intake:handoff-status",
    "intake:openapi",
}


# --- the world and its URLs -------------------------------------------------------------------


class SweepWorld(World):
    """The access matrix's world, with a follow-up on the floor (due, its counselor off shift),
    which any colleague may take."""

    def __init__(self, platform_factory: Any, settings: Any) -> None:
        super().__init__(platform_factory, settings)
        self.floor_follow_up = FollowUp.objects.create(
            handoff_id=self.others_closed,
            counselor=self.other,
            due_at=timezone.now() - timedelta(hours=1),
        )
        self.clients = {role: self.client(role) for role in ROLES}

    def kwargs_for(self, url: "Url") -> list[dict[str, Any]]:
        """Every way this world fills the URL's parameters (none: it cannot)."""
        model_admin = getattr(url.callback, "model_admin", None)
        if url.kwargs == {"object_id"} and model_admin is not None:
            # An admin page of one object: the model's first.
            pk = model_admin.model.objects.order_by("pk").values_list("pk", flat=True).first()
            return [] if pk is None else [{"object_id": pk}]
        if url.kwargs == {"app_label"}:
            return [{"app_label": label} for label in ("handoff", "counselors")]
        if url.kwargs == {"id"} and "password" in url.route:
            return [{"id": self.admin.pk}]
        cases = (self.case, self.dispatched, self.called, self.closed, self.waiting)
        candidates: list[dict[str, Any]] = [
            {},
            *({"handoff_id": c} for c in cases),
            {"handoff_id": self.case, "note_id": self.note.pk},
            {"handoff_id": self.dispatched, "dispatch_id": self.dispatch.pk},
            {"handoff_id": self.called, "call_id": self.call.pk},
            {"alert_id": self.alert.pk},
            {"help_id": self.help.pk},
            {"follow_up_id": self.follow_up.pk},
            {"follow_up_id": self.floor_follow_up.pk},
            {"slug": self.platform.slug},
            {"platform": self.platform.slug},
            {"user_id": self.other.pk},  # a colleague's account, on the staff page
        ]
        return [c for c in candidates if set(c) == url.kwargs]


@dataclass(frozen=True)
class Url:
    name: str
    route: str
    kwargs: frozenset[str]
    callback: Any

    @property
    def is_admin(self) -> bool:
        return self.name.startswith("admin:")

    @property
    def is_api(self) -> bool:
        return self.name.startswith("intake:")


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Url]:
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, route, inner)
        elif isinstance(p, URLPattern) and p.name:
            yield Url(
                f"{namespace}{p.name}", route, frozenset(p.pattern.regex.groupindex), p.callback
            )


def every_url() -> list[Url]:
    return [u for u in _walk(get_resolver().url_patterns) if not u.route.startswith("static/")]


def posted_names(url: Url) -> set[str]:
    """The POST parameters a console view reads by name, past any form (request.POST["x"] or
    request.POST.get("x")): an attacker sends those too, whether a page has a field or not."""
    try:
        source = inspect.getsource(inspect.unwrap(url.callback))
    except (OSError, TypeError):
        return set()
    return set(re.findall(r"request\.POST(?:\.get\(|\[)\s*[\"'](\w+)[\"']", source))


def _name_of(path: str) -> str | None:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name


# --- forms as a browser sees them -------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # an input's type, or "textarea", "select"
    value: str = ""
    options: list[str] = field(default_factory=list)
    chosen: str | None = None
    required: bool = False

    @property
    def is_text(self) -> bool:
        return self.kind in TEXT_INPUTS or self.kind == "textarea"

    def valid(self) -> list[tuple[str, str]]:
        """What a person filling the form in might send."""
        now = timezone.localtime()
        if self.kind in ("submit", "button", "reset", "image", "file"):
            return []
        if self.kind == "checkbox":
            return [(self.name, self.value or "on")] if self.chosen is not None else []
        if self.kind in ("select", "radio"):
            # What the browser sends untouched (a select's first option), unless a choice must
            # be made: then the first real one.
            choice = self.chosen
            if choice is None and (self.required or self.kind == "radio"):
                choice = next((o for o in self.options if o), "")
            if choice is None:
                choice = self.options[0] if self.options else ""
            return [(self.name, choice)]
        if self.kind in ("datetime-local", "date") and not (self.value or self.required):
            return [(self.name, "")]  # an optional time is left empty
        if self.kind == "datetime-local":
            return [(self.name, self.value or now.strftime("%Y-%m-%dT%H:%M"))]
        if self.kind == "date":
            return [(self.name, self.value or now.date().isoformat())]
        if self.kind == "number":
            return [(self.name, self.value or "1")]
        if self.is_text and not self.value:
            # Plain text every field here takes: a phone number reads as a name or a reason too.
            return [(self.name, "6145550100")]
        return [(self.name, self.value)]


@dataclass
class Form:
    page: str
    role: str
    action: str
    method: str
    htmx: bool
    fields: list[Field]
    # Errors and alerts on the page the form is on, before anything is sent.
    alerts: int = 0

    @property
    def url_name(self) -> str | None:
        return _name_of(self.action)

    def body(self, hostile: dict[str, str]) -> bytes:
        pairs: list[tuple[str, str]] = []
        for f in self.fields:
            pairs += [(f.name, hostile[f.name])] if f.name in hostile else f.valid()
        # As a browser encodes a form; a lone surrogate goes as the bytes it would be.
        encoded = [(k, v.encode("utf-8", "surrogatepass")) for k, v in pairs]
        return urlencode(encoded).encode()


class _Forms(HTMLParser):
    def __init__(self, page: str, role: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page, self.role = page, role
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        hx = a.get("hx-post")
        if tag == "form":
            action = hx or a.get("action") or self.page
            method = "post" if hx else (a.get("method") or "get").lower()
            self._form = Form(self.page, self.role, action, method, bool(hx), [])
            self.forms.append(self._form)
        elif hx and (self._form is None or self._form.action != hx):
            # A button that posts by itself (htmx).
            self.forms.append(Form(self.page, self.role, hx, "post", True, []))
        # The admin's blank inline row (a template its script copies) is not a field.
        if self._form is None or "name" not in a or "__prefix__" in a["name"]:
            if tag == "option" and self._select is not None:
                self._option(a)
            return
        form, name = self._form, a["name"]
        if tag == "input":
            kind = a.get("type", "").lower()
            existing = next((f for f in form.fields if f.name == name and f.kind == kind), None)
            if kind in ("radio",) and existing is not None:
                existing.options.append(a.get("value", "on"))
                if "checked" in a:
                    existing.chosen = a.get("value", "on")
                return
            f = Field(name, kind, a.get("value", ""), required="required" in a)
            if kind == "radio":
                f.options = [a.get("value", "on")]
                f.chosen = a.get("value", "on") if "checked" in a else None
            if kind == "checkbox":
                f.chosen = a.get("value", "on") if "checked" in a else None
            form.fields.append(f)
        elif tag == "select":
            self._select = Field(name, "select", required="required" in a)
            form.fields.append(self._select)
        elif tag == "textarea":
            self._textarea = Field(name, "textarea")
            form.fields.append(self._textarea)
        elif tag == "button" and a.get("type", "submit") == "submit":
            form.fields.append(Field(name, "submit", a.get("value", "")))

    def _option(self, a: dict[str, str]) -> None:
        assert self._select is not None
        value = a.get("value", "")
        self._select.options.append(value)
        if "selected" in a:
            self._select.chosen = value

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # As a browser reads it: a newline right after <textarea> is not part of the value.
            self._textarea.value = self._textarea.value.removeprefix("\n")
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data


def forms_on(page: str, role: str, html: str) -> list[Form]:
    parser = _Forms(page, role)
    parser.feed(html)
    parser.close()
    for form in parser.forms:
        form.alerts = alerts_in(html)
    return parser.forms


# --- requests -----------------------------------------------------------------------------------


class Sweep:
    """Requests in savepoints that are rolled back, each checked, the failures kept."""

    def __init__(self, world: SweepWorld) -> None:
        self.world = world
        self.failures: list[str] = []
        self.exceptions: list[str] = []
        self.accepted: dict[str, int] = {}

    def request(
        self,
        role: str,
        method: str,
        url: str,
        *,
        body: bytes = b"",
        htmx: bool = False,
        what: str = "",
        alerts_before: int | None = None,
        show: tuple[str, ...] = (),
    ) -> Any:
        """One request, checked. When it is a POST that succeeds, the page it leads to and the
        pages in `show` (read by a supervisor) are checked too: they show what was stored."""
        client = self.world.clients[role]
        cookies = copy.deepcopy(client.cookies)  # a sign-out must not sign the sweep out
        headers = {"HX-Request": "true"} if htmx else {}
        where = f"{method.upper()} {url[:120]} as {role}{what}"
        with transaction.atomic():
            if method == "post":
                response = client.post(
                    url, body, content_type="application/x-www-form-urlencoded", headers=headers
                )
            else:
                response = client.get(url, headers=headers)
            self._check(response, where, alerts_before)
            if method == "post" and response.status_code in (200, 302):
                name = _name_of(url) or url
                self.accepted[name] = self.accepted.get(name, 0) + 1
                location = response.get("Location", "").split("#")[0]
                if location.startswith("/"):
                    self._check(client.get(location), f"GET {location} after {where}")
                for page in show:
                    if page != location:
                        reader = self.world.clients["supervisor"]
                        self._check(reader.get(page), f"GET {page} after {where}")
            transaction.set_rollback(True)
        client.cookies = cookies
        return response

    def _check(self, response: Any, where: str, alerts_before: int | None = None) -> None:
        admin = response.wsgi_request.path.startswith("/admin/")
        for problem in page_problems(response, alerts_before=alerts_before, raw_hidden_ok=admin):
            self.failures.append(f"{where}: {problem}")

    def report(self) -> str:
        return "\n".join(sorted(set(self.failures + self.exceptions)))


@pytest.fixture
def sweep(platform_factory: Any, settings: Any, caplog: Any) -> Iterator[Sweep]:
    world = SweepWorld(platform_factory, settings)
    settings.QUEUE_DISPLAY_LIMIT = 500
    found = Sweep(world)

    def record(sender: Any, request: Any = None, **kwargs: Any) -> None:
        found.exceptions.append(f"{request.method} {request.path[:120]}: unhandled exception")

    got_request_exception.connect(record)
    caplog.set_level(logging.ERROR)
    try:
        yield found
    finally:
        got_request_exception.disconnect(record)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    found.exceptions += [f"error logged: {r.name}: {r.getMessage()[:200]}" for r in errors]


def _roles_for(url: Url) -> tuple[str, ...]:
    return ("admin",) if url.is_admin else ("anonymous", "holder", "supervisor")


def crawl(sweep: Sweep) -> list[Form]:
    """Every form on every page the world's URLs give each role, once per action and fields."""
    w = sweep.world
    forms: dict[tuple[str | None, tuple[str, ...], str], Form] = {}
    for url in every_url():
        if url.is_api:
            continue
        for kwargs in w.kwargs_for(url):
            path = reverse(url.name, kwargs=kwargs)
            for role in _roles_for(url):
                response = sweep.request(role, "get", path)
                if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                    continue
                for form in forms_on(path, role, response.content.decode()):
                    key = (form.url_name, tuple(sorted(f.name for f in form.fields)), form.method)
                    forms.setdefault(key, form)
    return list(forms.values())


def post_hostile(sweep: Sweep, form: Form) -> None:
    """Each text field gets markup with hidden characters (apart, and markup short enough for
    the field, if together they are refused) and 100 KB; NUL goes in every text field at once;
    in the console's own forms every other field (select, radio, hidden) gets the markup once."""
    texts = [f for f in form.fields if f.is_text]
    others = [f for f in form.fields if not f.is_text and f.kind not in ("submit", "button")]

    def refused(f: Field, payload: Payload) -> bool:
        status = _send(sweep, form, {f.name: payload.value}, f" [{f.name}={payload.name}]")
        return status in (400, 409, 422)

    for f in texts:
        if refused(f, TEXT_PAYLOAD):
            refused(f, HIDDEN_PAYLOAD)
            # Down to a phone number's 20 characters.
            for markup in (MARKUP_PAYLOAD, SHORT_MARKUP_PAYLOAD, TINY_MARKUP_PAYLOAD):
                if not refused(f, markup):
                    break
        huge = HUGE_PAYLOAD.value if form.method == "post" else HUGE_PAYLOAD.value[:URL_VALUE_MAX]
        _send(sweep, form, {f.name: huge}, f" [{f.name}={HUGE_PAYLOAD.name}]")
    if texts:
        _send(sweep, form, {f.name: NUL_PAYLOAD.value for f in texts}, " [every text=nul]")
    else:
        _send(sweep, form, {}, " [as is]")
    if not form.action.startswith("/admin/"):
        for f in others:
            if f.name != "csrfmiddlewaretoken":
                _send(sweep, form, {f.name: MARKUP_PAYLOAD.value}, f" [{f.name}=markup]")


def _send(sweep: Sweep, form: Form, hostile: dict[str, str], what: str) -> int:
    body = form.body(hostile)
    if form.method != "post":
        url = f"{form.action.split('?')[0]}?{body.decode()}"
        response = sweep.request(
            form.role, "get", url, htmx=form.htmx, what=what, alerts_before=form.alerts
        )
        return int(response.status_code)
    # The case an action is on shows what it stored, whoever reads it next.
    kwargs = resolve(urlsplit(form.action).path).kwargs
    show = (f"/cases/{kwargs['handoff_id']}/",) if "handoff_id" in kwargs else ()
    response = sweep.request(
        form.role,
        "post",
        form.action,
        body=body,
        htmx=form.htmx,
        what=what,
        alerts_before=form.alerts,
        show=show,
    )
    return int(response.status_code)


# --- the sweep ----------------------------------------------------------------------------------


def test_every_form_refuses_or_shows_hostile_values_as_text(sweep: Sweep) -> None:
    forms = crawl(sweep)
    for form in with_posted_names(forms):
        post_hostile(sweep, form)
    w = sweep.world
    for name, fields in FIELDS_WITHOUT_A_FORM.items():
        url = next(u for u in every_url() if u.name == name)
        for kwargs in w.kwargs_for(url):
            action = reverse(name, kwargs=kwargs)
            post_hostile(sweep, Form("", "holder", action, "post", False, _texts(fields)))
    # Values went through and were shown back on every kind of page, not only refused.
    stored = {name for name, n in sweep.accepted.items() if n}
    for name in ("case-note", "case-relay", "case-close", "case-emergency", "case-amend"):
        assert name in stored, f"nothing posted to {name} was accepted: {sorted(stored)}"
    assert not sweep.report(), f"{len(sweep.report().splitlines())} failures:\n{sweep.report()}"


def _texts(names: list[str]) -> list[Field]:
    return [Field(name, "textarea") for name in names]


def with_posted_names(forms: list[Form]) -> list[Form]:
    """The forms, each with the parameters its view reads by name and it has no field for."""
    urls = {u.name: u for u in every_url()}
    for form in forms:
        url = urls.get(form.url_name or "")
        if url is not None and form.method == "post":
            missing = posted_names(url) - {f.name for f in form.fields}
            form.fields += _texts(sorted(missing))
    return forms


def test_every_page_takes_hostile_query_parameters(sweep: Sweep) -> None:
    """`?next=`, `?page=` and `?q=` as anyone might type them: a page, never an error."""
    w = sweep.world
    for url in every_url():
        fills = w.kwargs_for(url)
        if url.is_api or not fills:
            continue
        path = reverse(url.name, kwargs=fills[0])
        role = "admin" if url.is_admin else "supervisor"
        for payload in (MARKUP_PAYLOAD, HIDDEN_PAYLOAD):
            value = payload.value.encode("utf-8", "surrogatepass")
            query = urlencode({k: value for k in ("next", "page", "q")})
            sweep.request(role, "get", f"{path}?{query}")
            sweep.request("anonymous", "get", f"{path}?{query}")
    assert not sweep.report(), sweep.report()


def test_the_sweep_reaches_every_url_that_takes_a_post(sweep: Sweep) -> None:
    """Every console URL that takes a POST is reached by a form the crawl finds, or is listed
    with its fields in FIELDS_WITHOUT_A_FORM, or is the platform API's; every model in the admin
    that an administrator may add or change has its form swept. So a new form is swept without
    anyone listing it, and a new POST URL without one is named here."""
    w = sweep.world
    forms = crawl(sweep)
    reached = {f.url_name for f in forms if f.method == "post"}
    takes_post: set[str] = set()
    unfilled: list[str] = []
    for url in every_url():
        if url.is_admin or url.is_api:
            continue
        fills = w.kwargs_for(url)
        if not fills:
            unfilled.append(url.name)
            continue
        response = sweep.request("supervisor", "post", reverse(url.name, kwargs=fills[0]))
        if response.status_code not in (403, 405):
            takes_post.add(url.name)
    sweep.failures.clear()  # empty posts are not the point here
    assert not unfilled, f"URLs the sweep's world cannot fill (add them to kwargs_for): {unfilled}"
    covered = reached | set(FIELDS_WITHOUT_A_FORM) | API_URLS
    missing = sorted(takes_post - covered)
    assert not missing, f"URLs taking a POST that no form of the sweep reaches: {missing}"
    assert "case-note" in reached and "login" in reached  # the crawl did find forms

    request = RequestFactory().get("/admin/")
    request.user = w.admin
    for model in (m for m in apps.get_models() if admin.site.is_registered(m)):
        model_admin, opts = admin.site.get_model_admin(model), model._meta
        for action in ("add", "change"):
            allowed = getattr(model_admin, f"has_{action}_permission")(request)
            name = f"admin:{opts.app_label}_{opts.model_name}_{action}"
            exists = model._default_manager.exists() or action == "add"
            if allowed and exists:
                assert name in reached, f"the sweep did not post the admin's {name} form"


# --- the platform API ---------------------------------------------------------------------------


def _string_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _string_paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _string_paths(v, (*path, i))


def _with(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    target: Any = changed
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return changed


def _full_body() -> dict[str, Any]:
    """The sample handoff with every optional string present."""
    body = handoff_body()
    body["contact"]["emergency_contacts"] = [
        {"name": "Alex", "relationship": "sibling", "phone": "+16145550199"}
    ]
    body["metadata"] = {"session": "s-1", "note": "from the platform"}
    return body


class Api:
    """Signed requests from the world's platform (json.dumps sends a lone surrogate as the
    escape a sender may write), each checked: no 500, no echo of what was refused."""

    def __init__(self, sweep: Sweep) -> None:
        self.platform = sweep.world.platform
        self.client = Client(raise_request_exception=False)
        self.failures = sweep.failures

    def post(self, url: str, body: Any, what: str, payload: Payload) -> Any:
        p = self.platform
        return self._check(
            post_signed(self.client, url, secret=p.inbound_secret, body=body), what, payload
        )

    def get(self, url: str, what: str, payload: Payload) -> Any:
        response = get_signed(self.client, url, secret=self.platform.inbound_secret)
        return self._check(response, what, payload)

    def _check(self, response: Any, what: str, payload: Payload) -> Any:
        problems = page_problems(response)
        said = _strings_in(response.content.decode(errors="replace"))
        if response.status_code >= 400 and payload.value[:12] in said:
            problems.append("the refused value is echoed back (it may be personal data)")
        self.failures.extend(f"{what}: {problem}" for problem in problems)
        return response


def test_the_platform_api_takes_hostile_strings_in_every_field(sweep: Sweep) -> None:
    """Every string of a handoff (and every metadata key), each message, a withdrawal reason
    and a handoff id in the URL: refused with a 4xx that names the field and not the value, or
    stored and then shown as text on every page that shows it."""
    api = Api(sweep)
    p = api.platform
    body = _full_body()
    accepted: list[str] = []
    for path in _string_paths(body):
        for payload in (*PAYLOADS, SHORT_MARKUP_PAYLOAD):
            what = f"POST handoffs [{'.'.join(map(str, path))}={payload.name}]"
            sent = _with(body, ("external_id",), f"conv_{uuid.uuid4().hex}")  # a case each
            response = api.post(p.url(), _with(sent, path, payload.value), what, payload)
            if response.status_code == 202:
                accepted.append(response.json()["id"])
    for payload in PAYLOADS:
        with_key = _with(body, ("metadata",), {payload.value[:200]: "x"})
        with_key["external_id"] = f"conv_{uuid.uuid4().hex}"
        api.post(p.url(), with_key, f"POST handoffs [metadata key={payload.name}]", payload)

    case_id = sweep.world.waiting
    at = body["transcript"][0]["at"]
    for payload in PAYLOADS:
        message = {"messages": [{"role": "user", "text": payload.value, "at": at}]}
        with transaction.atomic():  # the case stays open for the next one
            api.post(
                p.url(f"/{case_id}/messages"), message, f"POST messages [{payload.name}]", payload
            )
            transaction.set_rollback(True)
        withdraw = {"reason": payload.value}
        api.post(
            p.url(f"/{case_id}/withdraw"), withdraw, f"POST withdraw [{payload.name}]", payload
        )
        hostile_id = quote(payload.value[:URL_VALUE_MAX].encode("utf-8", "surrogatepass"), safe="")
        api.get(p.url(f"/{hostile_id}"), f"GET status [{payload.name}]", payload)
    for payload in (MARKUP_PAYLOAD, HIDDEN_PAYLOAD):
        message = {"messages": [{"role": "user", "text": payload.value, "at": at}]}
        api.post(p.url(f"/{case_id}/messages"), message, f"POST messages [{payload.name}]", payload)
    accepted.append(case_id)

    assert len(accepted) > 10, "the API refused every hostile value: nothing was shown"
    # Every page that shows what a platform sent, as a supervisor reads it.
    for case_id in accepted:
        for page in ("", "emergency", "live", "export"):
            sweep.request("supervisor", "get", f"/cases/{case_id}/{page}")
    for page in ("/", "/floor/", "/cases/", "/reviews/", "/follow-ups/", "/reports/"):
        sweep.request("supervisor", "get", page)
    assert not sweep.report(), sweep.report()


# --- websockets ---------------------------------------------------------------------------------

FRAMES = [
    *(p.value.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for p in PAYLOADS),
    *(json.dumps({"type": p.value}) for p in PAYLOADS),
    json.dumps({"type": "heartbeat", "extra": MARKUP_PAYLOAD.value}),
    json.dumps({"type": ["heartbeat"]}),
    json.dumps([{"type": "heartbeat"}]),
    "[" * 100_000 + "]" * 100_000,  # deeper than a JSON parser recurses
    '{"type": "resync", "type": "' + MARKUP_PAYLOAD.value + '"}',
]
# Each socket a page opens, what it sends on connect, a proper frame and the answer it gets.
SOCKETS = {
    "/ws/queue/": ("queue.snapshot", '{"type": "heartbeat"}', "heartbeat.ack"),
    "/ws/floor/": ("floor.snapshot", '{"type": "resync"}', "floor.snapshot"),
    "/ws/cases/{case}/": (None, '{"type": "check"}', "case.version"),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_websockets_take_hostile_frames(platform_factory: Any, settings: Any) -> None:
    """Every socket a page opens gets every hostile frame, text and binary, and then a proper
    one: it is still open and answers it (frames are handled in order, so every hostile one was
    handled first), and nothing it sent carries markup from a platform's hostile handoff."""
    world = await database_sync_to_async(SweepWorld)(platform_factory, settings)
    hostile = handoff_body()
    hostile["contact"]["name"] = MARKUP_PAYLOAD.value[:200]
    # Direction controls and invisible characters, which a transcript keeps (not C0 controls).
    hostile["transcript"][0]["text"] = f"{MARKUP_PAYLOAD.value} a\u202eb\u2066c\u200bd"
    p = world.platform
    response = await database_sync_to_async(post_signed)(
        Client(), p.url(), secret=p.inbound_secret, body=hostile
    )
    assert response.status_code == 202
    cookie = await database_sync_to_async(session_cookie)(world.supervisor)
    failures: list[str] = []
    for path, (on_connect, proper, answer) in SOCKETS.items():
        comm = socket(path.format(case=world.case), cookie=cookie)
        connected, _ = await comm.connect()
        assert connected, path
        sent = await _until(comm, on_connect) if on_connect else []
        for frame in FRAMES:
            await comm.send_to(text_data=frame)
        await comm.send_to(bytes_data=MARKUP_PAYLOAD.value.encode())
        await comm.send_to(text_data=proper)
        sent += await _until(comm, answer)
        failures += [
            f"{path} sent: {p}" for text in sent for p in fragment_problems(_strings_in(text))
        ]
        await comm.disconnect()
    assert not failures, "\n".join(failures)


async def _until(comm: Any, wanted: str) -> list[str]:
    """The frames a socket sends up to and including the first of type `wanted`."""
    texts: list[str] = []
    while True:
        message = await comm.receive_output(timeout=10)
        assert message["type"] != "websocket.close", f"the socket closed: {message}"
        texts.append(message.get("text") or "")
        if json.loads(texts[-1]).get("type") == wanted:
            return texts


def _strings_in(text: str) -> str:
    """The strings a JSON document carries (HTML fragments among them), one a line."""
    try:
        pending: list[Any] = [json.loads(text)]
    except ValueError:
        return text
    strings: list[str] = []
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            strings.append(item)
        elif isinstance(item, dict):
            pending += item.values()
        elif isinstance(item, list):
            pending += item
    return "\n".join(strings)
