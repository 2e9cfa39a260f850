"""The one place that decides who may see or act on a case: views, consumers and exports ask."""

from django.contrib.auth.models import AnonymousUser

from counselors.models import Role, User
from handoff.models import OWNED_STATUSES, Handoff, Status

STAFF_ROLES = (Role.COUNSELOR, Role.SUPERVISOR, Role.ADMIN)


def is_staff_member(user: User | AnonymousUser) -> bool:
    return bool(
        user.is_authenticated and user.is_active and getattr(user, "role", None) in STAFF_ROLES
    )


def is_supervisor(user: User | AnonymousUser) -> bool:
    return is_staff_member(user) and getattr(user, "role", None) in (Role.SUPERVISOR, Role.ADMIN)


def can_view_case(user: User | AnonymousUser, handoff: Handoff) -> bool:
    """Any counselor may read a waiting case before claiming it; once claimed, only its holder
    and supervisors. A closed case keeps the counselor who closed it as its holder."""
    if not is_staff_member(user):
        return False
    if is_supervisor(user):
        return True
    if handoff.status == Status.QUEUED:
        return True
    return handoff.claimed_by_id == user.pk


def can_export_case(user: User | AnonymousUser, handoff: Handoff) -> bool:
    """The whole record at once (export, or any other bulk read of personal data): the counselor
    holding the case, or a supervisor. Reading a waiting case before claiming it is for deciding
    whether to take it, not for taking its record away."""
    if not is_staff_member(user):
        return False
    return is_supervisor(user) or handoff.claimed_by_id == user.pk


def can_act_on_case(user: User | AnonymousUser, handoff: Handoff) -> bool:
    """Release, transfer, record and close: the owner, or a supervisor."""
    if not is_staff_member(user):
        return False
    if handoff.status not in OWNED_STATUSES:
        return False
    return handoff.claimed_by_id == user.pk or is_supervisor(user)
