"""How long a sign-in lasts, and what keeps it alive.

A session ends SESSION_IDLE_MINUTES after the last request the person made, and
SESSION_COOKIE_AGE after they signed in, whichever comes first; its cookie ends with the
browser. Only requests a person makes count as activity: a page's own automatic requests
(the case page's live refresh, the expiry warning's status check; views marked `background`)
do not, and websocket heartbeats are not requests at all, so a tab left open in the background
does not keep a session alive. The page warns before the end (static/console/session.js) and
offers to stay signed in.

Every request of a signed-in browser passes `SessionPolicyMiddleware`: a session that is idle,
past its length, or (with the second factor required) not verified by one is signed out there,
before any view runs. A socket asks `session_is_live` when it opens and at each heartbeat.
Signing out (or a session ending here) closes the sockets opened with that session.
"""

from collections.abc import Callable, Mapping
from functools import partial
from importlib import import_module
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.backends.base import SessionBase
from django.db import InterfaceError, OperationalError, transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from counselors.accounts import group_close, session_group
from counselors.events import account_record
from counselors.models import AccountEventKind, User

SIGNED_IN_AT = "console.signed_in_at"
ACTIVE_AT = "console.active_at"
# Activity is written to the session at most this often (each write is a database write).
ACTIVITY_RESOLUTION_S = 30
# How long before the end the page warns.
WARNING_S = 120

# Why a session ended: the word in its record and in the sign-in page's address.
IDLE = "idle"
TOO_LONG = "expired"
UNVERIFIED = "unverified"

_BACKGROUND = "console_background"
_ENDED = "console_session_ended"

View = TypeVar("View", bound=Callable[..., HttpResponse])
# A session's data: the request's session, or one loaded for a socket.
SessionData = Mapping[str, Any] | SessionBase


def background(view: View) -> View:
    """Mark a view as one a page calls by itself (a live refresh, a status check): a request to
    it does not count as the person being active."""
    setattr(view, _BACKGROUND, True)
    return view


def now_seconds() -> int:
    return int(timezone.now().timestamp())


def idle_seconds() -> int:
    return int(settings.SESSION_IDLE_MINUTES) * 60


def end_reason(data: SessionData, *, verified: bool, now: int) -> str | None:
    """Why this signed-in session must end now, or None while it is good. A session without
    its times (made before they were kept) ends: it cannot show it is recent."""
    if settings.OTP_REQUIRED and not verified:
        return UNVERIFIED
    signed_in_at, active_at = data.get(SIGNED_IN_AT), data.get(ACTIVE_AT)
    if not isinstance(signed_in_at, int) or not isinstance(active_at, int):
        return TOO_LONG
    if now - signed_in_at >= settings.SESSION_COOKIE_AGE:
        return TOO_LONG
    if now - active_at >= idle_seconds():
        return IDLE
    return None


def seconds_left(data: SessionData, *, now: int) -> int:
    """Until the session ends if the person does nothing."""
    signed_in_at, active_at = data.get(SIGNED_IN_AT), data.get(ACTIVE_AT)
    if not isinstance(signed_in_at, int) or not isinstance(active_at, int):
        return 0
    return max(
        0,
        min(active_at + idle_seconds(), signed_in_at + settings.SESSION_COOKIE_AGE) - now,
    )


def activity_touch(session: SessionBase, *, now: int) -> None:
    last = session.get(ACTIVE_AT)
    if not isinstance(last, int) or now - last >= ACTIVITY_RESOLUTION_S:
        session[ACTIVE_AT] = now


class SessionPolicyMiddleware:
    """After django-otp's middleware: ends sessions that are idle, too old or unverified, and
    counts the person's own requests as activity."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponse],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        user = request.user
        try:
            if not user.is_authenticated:
                return None
        except (OperationalError, InterfaceError):
            # The database is unreachable: the view's own first read fails the same way, and
            # the console answers that with a 503 (handoff.middleware), not a 500.
            return None
        now = now_seconds()
        is_background = bool(getattr(view, _BACKGROUND, False))
        verified = bool(getattr(user, "is_verified", lambda: False)())  # django-otp's
        reason = end_reason(request.session, verified=verified, now=now)
        if reason is None:
            if not is_background:
                activity_touch(request.session, now=now)
            return None
        setattr(request, _ENDED, reason)
        logout(request)
        if is_background or request.path == settings.LOGIN_URL:
            return None  # the view answers as it answers anyone signed out
        if request.headers.get("HX-Request"):
            # An action from a page: the whole page goes to sign in, not a fragment of it.
            return HttpResponseClientRedirect(
                f"{settings.LOGIN_URL}?{urlencode({'ended': reason})}"
            )
        if request.method == "GET":
            query = urlencode({REDIRECT_FIELD_NAME: request.get_full_path(), "ended": reason})
            return HttpResponseRedirect(f"{settings.LOGIN_URL}?{query}")
        return None


@receiver(user_logged_in, dispatch_uid="counselors.sessions.signed_in")
def session_start(sender: object, request: HttpRequest, user: User, **kwargs: Any) -> None:
    now = now_seconds()
    request.session[SIGNED_IN_AT] = now
    request.session[ACTIVE_AT] = now


@receiver(user_logged_out, dispatch_uid="counselors.sessions.signed_out")
def session_end(sender: object, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    """A session ends (the person signed out, or it ran out here): its sockets close."""
    reason = getattr(request, _ENDED, None)
    if user is not None:
        account_record(
            kind=AccountEventKind.SESSION_EXPIRED if reason else AccountEventKind.SIGNED_OUT,
            user_id=user.pk,
            detail=reason or "",
        )
    session_key = request.session.session_key
    if session_key:
        group = session_group(session_key)
        transaction.on_commit(partial(group_close, group))


def session_is_live(session_key: str | None, *, user_id: int) -> bool:
    """For a socket: the session it opened with still signs this person in (not signed out,
    not idle or too old, verified). Reading it does not count as activity."""
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    data = store.load()
    if data.get(SESSION_KEY) != str(user_id):
        return False
    return end_reason(data, verified=_device_verified(data, user_id), now=now_seconds()) is None


def _device_verified(data: Mapping[str, Any], user_id: int) -> bool:
    """What django-otp's middleware decides for a request, for a socket's session."""
    persistent_id = data.get(DEVICE_ID_SESSION_KEY)
    if not isinstance(persistent_id, str):
        return False
    device = Device.from_persistent_id(persistent_id)
    return device is not None and device.user_id == user_id and bool(device.confirmed)


def session_context(request: HttpRequest) -> dict[str, Any]:
    """For every page: whether the second factor is off (the demo), the limits the sign-in
    pages name, and, for a signed-in person, the seconds left before the session ends if they
    do nothing."""
    context: dict[str, Any] = {
        "second_factor_off": not settings.OTP_REQUIRED,
        "session_idle_minutes": settings.SESSION_IDLE_MINUTES,
        "signin_lockout_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        context["session_seconds_left"] = seconds_left(request.session, now=now_seconds())
        context["session_warning_seconds"] = WARNING_S
    return context
