"""Staff accounts in the console: a person's own sign-in (authenticator, backup codes, sign out
everywhere), and the supervisors' list of staff (end a person's sessions, reset their second
factor, and for administrators, lift a sign-in lockout). Thin doors: the rules are in
counselors (accounts, second_factor, signin) and who may is in handoff.access."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from counselors import second_factor
from counselors.accounts import second_factor_reset, sessions_end_all
from counselors.models import AccountEventKind, User
from counselors.preferences import PreferencesForm, preferences_set
from counselors.signin import locked_usernames, password_and_code_check, signin_unlock
from handoff.access import can_manage_account, can_unlock_sign_in, is_supervisor
from handoff.decorators import staff_required
from handoff.types import StaffRequest

PENDING = "console.pending_authenticator"
PAGE = "staff/account.html"


def _account_context(request: StaffRequest, **extra: object) -> dict[str, object]:
    user = request.user
    device = second_factor.authenticator_of(user)
    return {
        "authenticator": device,
        "backup_codes_left": second_factor.backup_codes_left(user),
        "idle_minutes": settings.SESSION_IDLE_MINUTES,
        "preferences_form": PreferencesForm.of(user),
        **extra,
    }


def _proved(request: StaffRequest) -> bool:
    return password_and_code_check(
        request,
        user=request.user,
        password=request.POST.get("password", ""),
        code=request.POST.get("otp_token", ""),
    )


NOT_PROVED = (
    "That password and code do not match: nothing was changed. A wrong answer here counts as a "
    "failed sign-in."
)


@require_GET
@staff_required
def account(request: StaffRequest) -> HttpResponse:
    return render(request, PAGE, _account_context(request))


@require_POST
@staff_required
def preferences(request: StaffRequest) -> HttpResponse:
    """Theme and alert sound, the person's own; the page comes back in the chosen theme."""
    form = PreferencesForm(request.POST)
    if not form.is_valid():
        return render(request, PAGE, _account_context(request, preferences_form=form), status=400)
    preferences_set(
        user=request.user,
        theme=form.cleaned_data["theme"],
        alert_sound=form.cleaned_data["alert_sound"],
    )
    return redirect(reverse("account") + "#preferences")


@require_POST
@staff_required
def authenticator_start(request: StaffRequest) -> HttpResponse:
    """Step one of a new authenticator: prove it is you; the new one is shown, not yet used."""
    if not _proved(request):
        context = _account_context(request, error=NOT_PROVED)
        return render(request, PAGE, context, status=400)
    device = second_factor.pending_create(user=request.user)
    request.session[PENDING] = device.pk
    return render(request, PAGE, _account_context(request, pending=_shown(device)))


@require_POST
@staff_required
def authenticator_confirm(request: StaffRequest) -> HttpResponse:
    """Step two: a code from the new authenticator; it replaces the old one, with new backup
    codes shown once."""
    device = second_factor.pending_of(request.user, request.session.get(PENDING))
    if device is None:
        context = _account_context(request, error="Start again: that set-up is not open.")
        return render(request, PAGE, context, status=400)
    codes = second_factor.pending_confirm(
        user=request.user, device=device, token=request.POST.get("new_token", "")
    )
    if codes is None:
        context = _account_context(
            request,
            pending=_shown(device),
            error="That code is not the one the new authenticator shows now. Try the next one.",
        )
        return render(request, PAGE, context, status=400)
    del request.session[PENDING]
    return render(request, PAGE, _account_context(request, backup_codes=codes, enrolled=True))


@require_POST
@staff_required
def backup_codes(request: StaffRequest) -> HttpResponse:
    if not _proved(request):
        return render(request, PAGE, _account_context(request, error=NOT_PROVED), status=400)
    codes = second_factor.backup_codes_issue(user=request.user)
    return render(request, PAGE, _account_context(request, backup_codes=codes))


@require_POST
@staff_required
def sign_out_everywhere(request: StaffRequest) -> HttpResponse:
    """Every session of the person ends, this one too, and every socket of theirs closes."""
    user = request.user
    sessions_end_all(user=user, kind=AccountEventKind.SIGNED_OUT_EVERYWHERE)
    logout(request)
    return HttpResponseRedirect(f"{settings.LOGIN_URL}?{urlencode({'ended': 'everywhere'})}")


def _shown(device: object) -> dict[str, str]:
    uri = second_factor.otpauth_uri(device)
    return {
        "qr": second_factor.qr_svg(uri),
        "secret": second_factor.secret_text(device),
    }


# --- supervisors ------------------------------------------------------------------------------


def _supervisors_only(request: StaffRequest) -> HttpResponse | None:
    if is_supervisor(request.user):
        return None
    return render(request, "reviews/supervisors_only.html", status=403)


def _refused(request: StaffRequest, message: str) -> HttpResponse:
    return render(
        request, "queue/refusal.html", {"flash": message, "flash_kind": "error"}, status=403
    )


@require_GET
@staff_required
def staff_list(request: StaffRequest) -> HttpResponse:
    refused = _supervisors_only(request)
    if refused:
        return refused
    return _staff_page(request)


def _staff_page(request: StaffRequest, *, done: str = "") -> HttpResponse:
    people = list(User.objects.filter(is_active=True).order_by("display_name", "username"))
    enrolled = second_factor.enrolled_ids(people)
    locked = locked_usernames(p.username for p in people)
    rows = [
        {
            "person": p,
            "enrolled": p.pk in enrolled,
            "locked": p.username in locked,
            "may_manage": can_manage_account(request.user, p),
        }
        for p in people
    ]
    return render(
        request,
        "staff/list.html",
        {"rows": rows, "may_unlock": can_unlock_sign_in(request.user), "done": done},
    )


def _person(request: StaffRequest, user_id: int) -> User | HttpResponse:
    refused = _supervisors_only(request)
    if refused:
        return refused
    person = get_object_or_404(User, pk=user_id)
    if not can_manage_account(request.user, person):
        return _refused(request, "Only an administrator may do that for an administrator.")
    return person


@require_POST
@staff_required
def sessions_end(request: StaffRequest, user_id: int) -> HttpResponse:
    person = _person(request, user_id)
    if isinstance(person, HttpResponse):
        return person
    ended = sessions_end_all(user=person, kind=AccountEventKind.SESSIONS_ENDED, actor=request.user)
    if person.pk == request.user.pk:
        logout(request)
        return redirect(settings.LOGIN_URL)
    return _staff_page(request, done=f"{person} is signed out everywhere ({ended} ended).")


@require_POST
@staff_required
def factor_reset(request: StaffRequest, user_id: int) -> HttpResponse:
    person = _person(request, user_id)
    if isinstance(person, HttpResponse):
        return person
    device = second_factor_reset(user=person, actor=request.user)
    own = person.pk == request.user.pk
    if own:
        logout(request)  # the session just ended with the others; the page still shows the key
    return render(
        request,
        "staff/factor_issued.html",
        {"person": person, "shown": _shown(device), "own": own},
    )


@require_POST
@staff_required
def unlock(request: StaffRequest, user_id: int) -> HttpResponse:
    if not can_unlock_sign_in(request.user):
        return _refused(request, "Only an administrator may lift a sign-in lockout.")
    person = get_object_or_404(User, pk=user_id)
    signin_unlock(username=person.username, actor=request.user)
    return _staff_page(request, done=f"{person} may sign in again now.")
