"""Sign-in: a password and a code, one step, under a lockout.

The code is part of Django's `authenticate()` (PasswordAndCodeBackend), so a wrong code is a
failed sign-in like a wrong password: Django signals it, django-axes counts it against the
username and the address, and past SIGNIN_FAILURE_LIMIT both are locked out (axes' backend runs
first and refuses even the right password and code) until the lock ends or an administrator
unlocks (`signin_unlock`). Every refusal is logged and recorded (counselors.events): the account
id when the name matches one, else a keyed digest of the name; the address; why, in one word.

The page says the same thing for a wrong password and a wrong code, so a guessed password is
not confirmed by the answer. An account with no second factor (made outside `staff_create`, say
by createsuperuser) is told to ask an administrator, once its password is right.
"""

import ipaddress
import unicodedata
from collections.abc import Iterable
from typing import Any

from axes.models import AccessAttempt
from axes.signals import user_locked_out
from axes.utils import reset as axes_reset
from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models import Sum
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from counselors import second_factor
from counselors.events import account_record
from counselors.models import AccountEventKind, User

# Why the backend refused, kept on the request for the refusal's record and the page.
_REFUSAL = "signin_refusal"
WRONG_PASSWORD = "password"  # noqa: S105 (a reason, not a password): no such name and password
CODE = "code"  # the password was right, the code was not
NO_FACTOR = "no_second_factor"  # the password was right, the account has no authenticator
LOCKED = "locked"  # refused by the lockout before anything was checked


def username_digest(username: str) -> str:
    """A keyed digest of a name typed at sign-in: the same name gives the same digest (so
    repeated guesses show), and without SECRET_KEY it cannot be reversed by trying names."""
    return salted_hmac("counselors.signin.username", username, algorithm="sha256").hexdigest()[:16]


def client_address(request: HttpRequest) -> str | None:
    """The address sign-in failures are counted against (axes' AXES_CLIENT_IP_CALLABLE).
    Behind SIGNIN_TRUSTED_PROXIES proxies, the address the outermost one saw: the entry it
    appended to X-Forwarded-For (entries further left were written by the client, and lie)."""
    candidate = request.META.get("REMOTE_ADDR", "")
    hops = settings.SIGNIN_TRUSTED_PROXIES
    if hops > 0:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= hops:
            candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


class PasswordAndCodeBackend(ModelBackend):
    """Django's password check, then the second factor, in one `authenticate()`."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        otp_token: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if not isinstance(user, User):
            _refused(request, WRONG_PASSWORD)
            return None
        if not settings.OTP_REQUIRED:
            return user
        if not second_factor.has_second_factor(user):
            _refused(request, NO_FACTOR)
            return None
        device = second_factor.verify(user, otp_token or "")
        if device is None:
            _refused(request, CODE)
            return None
        # django-otp keeps the device in the session when the person is signed in with it.
        user.otp_device = device  # type: ignore[attr-defined]
        return user


def _refused(request: HttpRequest | None, reason: str) -> None:
    if request is not None:
        setattr(request, _REFUSAL, reason)


def refusal_of(request: HttpRequest) -> str:
    """Why the last sign-in on this request was refused."""
    return str(getattr(request, _REFUSAL, LOCKED))


class SignInForm(AuthenticationForm):
    """Username, password and the code (`otp_token`) on one form, checked in one step."""

    # No length limit here: an over-long code is a wrong code, counted like any other.
    otp_token = forms.CharField(required=False, strip=True)

    error_messages = {
        "invalid_login": (
            "That username, password and code do not match an active account. Codes change "
            "every 30 seconds: use the one your app shows now, or one of your backup codes."
        ),
        "no_second_factor": (
            "This account has no second factor set up yet. Ask a supervisor or an "
            "administrator to set one up for you."
        ),
        "inactive": "This account is inactive.",
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and not _could_be_a_username(username):
            # No account has such a name: refused and recorded as any wrong sign-in, before
            # anything (the lockout's own records, a lookup by name) tries to store or match it.
            account_record(
                kind=AccountEventKind.SIGN_IN_FAILED,
                user_id=None,
                username_digest=username_digest(username),
                address=client_address(self.request) if self.request is not None else None,
                detail=WRONG_PASSWORD,
            )
            raise self.get_invalid_login_error()
        if username is not None and password:
            self.user_cache = authenticate(
                self.request,
                username=username,
                password=password,
                otp_token=self.cleaned_data.get("otp_token", ""),
            )
            if self.user_cache is None:
                if self.request is not None and refusal_of(self.request) == NO_FACTOR:
                    raise forms.ValidationError(
                        self.error_messages["no_second_factor"], code="no_second_factor"
                    )
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


def _could_be_a_username(username: str) -> bool:
    """Within the username column's length, with no control or invisible format characters."""
    limit = User._meta.get_field("username").max_length or 150
    return len(username) <= limit and not any(
        unicodedata.category(ch) in ("Cc", "Cf") for ch in username
    )


def password_and_code_check(request: HttpRequest, *, user: User, password: str, code: str) -> bool:
    """Ask a signed-in person to prove it again before changing how they sign in: the same
    check as signing in, under the same lockout (a wrong answer counts as a failed sign-in)."""
    return (
        authenticate(request, username=user.get_username(), password=password, otp_token=code)
        is not None
    )


@receiver(user_login_failed, dispatch_uid="counselors.signin.failed")
def signin_failed(
    sender: object, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username") or "")
    user_id = User.objects.filter(username=username).values_list("pk", flat=True).first()
    account_record(
        kind=AccountEventKind.SIGN_IN_FAILED,
        user_id=user_id,
        username_digest="" if user_id is not None else username_digest(username),
        address=client_address(request) if request is not None else None,
        detail=refusal_of(request) if request is not None else WRONG_PASSWORD,
    )


@receiver(user_locked_out, dispatch_uid="counselors.signin.locked")
def signin_locked(
    sender: object,
    request: HttpRequest,
    username: str | None,
    ip_address: str | None,
    **kwargs: Any,
) -> None:
    # axes says so again for each attempt refused while locked; only the failure that reached
    # the limit (the one axes counted, with the count on the request) starts a lock.
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None:
        return
    user_id = User.objects.filter(username=username or "").values_list("pk", flat=True).first()
    account_record(
        kind=AccountEventKind.LOCKED,
        user_id=user_id,
        username_digest="" if user_id is not None else username_digest(username or ""),
        address=ip_address,
        detail=f"{failures} failures",
    )


@receiver(user_logged_in, dispatch_uid="counselors.signin.signed_in")
def signed_in(sender: object, request: HttpRequest, user: User, **kwargs: Any) -> None:
    account_record(
        kind=AccountEventKind.SIGNED_IN, user_id=user.pk, address=client_address(request)
    )


def signin_unlock(*, username: str | None, actor: User | None, address: str | None = None) -> int:
    """Lift a lockout now (an administrator's unlock): the failed attempts of this username (or,
    with `address`, of that username from that address) are forgotten, and so is the back-off
    django-otp keeps after wrong codes. Returns how many attempt records went."""
    if username is None and address is None:
        return 0
    removed = int(axes_reset(ip=address, username=username))
    user = User.objects.filter(username=username).first() if username else None
    if user is not None:
        second_factor.throttles_reset(user)
    account_record(
        kind=AccountEventKind.UNLOCKED,
        user_id=user.pk if user else None,
        actor_id=actor.pk if actor else None,
        username_digest="" if user or not username else username_digest(username),
        address=address,
        detail=f"{removed} records",
    )
    return removed


def locked_usernames(usernames: Iterable[str]) -> set[str]:
    """Which of these names are locked out now by their own failures (an address's lock, which
    holds every name tried from it, is not shown here)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(username__in=list(usernames), attempt_time__gte=since)
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    )
    return {str(row["username"]) for row in rows}
