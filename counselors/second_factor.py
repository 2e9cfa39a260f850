"""Every staff account's second factor: an authenticator app (TOTP) and ten single-use backup
codes, both django-otp devices.

An account is enrolled when it is made (`staff_create`): it gets its authenticator there, and
whoever made it hands the `otpauth://` URI (or its QR code) to the person. A supervisor or an
administrator may reset a person's factor (a lost phone): the old devices go, a new
authenticator is shown once to hand over, and the person's sessions end. The person may then
set up an authenticator only they have seen, and print backup codes, from their own page.
"""

import re
from base64 import b32encode

import segno
from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from counselors.events import account_record
from counselors.models import AccountEventKind, User

BACKUP_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
PENDING_NAME = "Authenticator app (not confirmed)"
BACKUP_NAME = "Backup codes"

_TOTP_CODE = re.compile(r"\d{6}")
# A backup code as shown ("abcd efgh") or typed without the space or with a dash.
_SEPARATORS = re.compile(r"[\s-]+")


def authenticator_of(user: User) -> TOTPDevice | None:
    """The person's confirmed authenticator, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def has_second_factor(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def enrolled_ids(users: list[User]) -> set[int]:
    """Which of these accounts have an authenticator."""
    rows = TOTPDevice.objects.filter(user__in=users, confirmed=True).values_list(
        "user_id", flat=True
    )
    return {int(pk) for pk in rows}


def backup_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def otpauth_uri(device: TOTPDevice) -> str:
    uri: str = device.config_url
    return uri


def secret_text(device: TOTPDevice) -> str:
    """The secret as an authenticator app asks for it when typed in: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code, drawn here (no image service sees the secret)."""
    svg: str = segno.make(uri, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", title="QR code for your authenticator app"
    )
    return svg


@transaction.atomic
def enroll(*, user: User, actor: User | None = None) -> TOTPDevice:
    """Give the account a new authenticator, confirmed at once, in place of any it had; its
    backup codes go too (they belonged to the old set-up). Records `factor_enrolled` when the
    account had none, `factor_reset` when it replaced one."""
    had = _delete_devices(user)
    device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=True)
    kind = AccountEventKind.FACTOR_RESET if had else AccountEventKind.FACTOR_ENROLLED
    account_record(kind=kind, user_id=user.pk, actor_id=actor.pk if actor else None)
    return device


def _delete_devices(user: User) -> bool:
    totp, _ = TOTPDevice.objects.filter(user=user).delete()
    static, _ = StaticDevice.objects.filter(user=user).delete()
    return bool(totp or static)


def pending_create(*, user: User) -> TOTPDevice:
    """A new authenticator the person is setting up from their own page: it signs nothing in
    until they confirm it with a code from it (`pending_confirm`)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device: TOTPDevice = TOTPDevice.objects.create(user=user, name=PENDING_NAME, confirmed=False)
    return device


def pending_of(user: User, device_id: object) -> TOTPDevice | None:
    if not isinstance(device_id, int):
        return None
    return TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()


@transaction.atomic
def pending_confirm(*, user: User, device: TOTPDevice, token: str) -> list[str] | None:
    """The person typed a code from the new authenticator: its key replaces the old one's, and a
    new set of backup codes (returned, to be shown once) replaces the old set. None: the code
    was wrong. The device row stays the same, so the person's sessions stay verified by it."""
    token = _SEPARATORS.sub("", token)
    if not _TOTP_CODE.fullmatch(token) or not device.verify_token(token):
        return None
    current = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=True)
        .order_by("-pk")
        .first()
    )
    if current is None:
        device.name, device.confirmed = AUTHENTICATOR_NAME, True
        device.save(update_fields=["name", "confirmed"])
    else:
        current.key, current.drift, current.last_t = device.key, device.drift, device.last_t
        current.throttle_reset(commit=False)
        current.save()
        device.delete()
    account_record(kind=AccountEventKind.FACTOR_ENROLLED, user_id=user.pk)
    return backup_codes_issue(user=user)


@transaction.atomic
def backup_codes_issue(*, user: User) -> list[str]:
    """Ten new single-use backup codes in place of any left, returned to be shown once."""
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=BACKUP_NAME, confirmed=True)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    account_record(kind=AccountEventKind.BACKUP_CODES_ISSUED, user_id=user.pk)
    return [f"{code[:4]} {code[4:]}" for code in codes]


def verify(user: User, token: str) -> Device | None:
    """The device that accepts this code: six digits are tried against the authenticator,
    anything else against the backup codes (a used one is gone). Only one device is tried, so a
    backup code does not count as a failure against the authenticator, nor the other way round.
    Both keep django-otp's own back-off after a wrong code."""
    token = _SEPARATORS.sub("", token or "").lower()
    if not token or len(token) > 16:
        return None
    with transaction.atomic():
        if _TOTP_CODE.fullmatch(token):
            device: Device | None = (
                TOTPDevice.objects.select_for_update()
                .filter(user=user, confirmed=True)
                .order_by("-pk")
                .first()
            )
        else:
            device = (
                StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            )
        if device is None or not device.verify_token(token):
            return None
    if isinstance(device, StaticDevice):
        account_record(
            kind=AccountEventKind.BACKUP_CODE_USED,
            user_id=user.pk,
            detail=f"{backup_codes_left(user)} left",
        )
    return device


def throttles_reset(user: User) -> None:
    """Lift django-otp's back-off after wrong codes (with an unlock: the person starts afresh)."""
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).update(
            throttling_failure_count=0, throttling_failure_timestamp=None
        )
