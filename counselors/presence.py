"""Who is online: heartbeats from console sockets (dashboard, case page, floor), expiring when a
browser dies; and whether anyone watches the floor."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Case, Exists, OuterRef, QuerySet, Value, When
from django.utils import timezone

from counselors.models import Door, PresenceConnection, Role, User


def _is_online(user_id: int) -> bool:
    cutoff = timezone.now() - timedelta(seconds=settings.PRESENCE_TIMEOUT_SECONDS)
    return PresenceConnection.objects.filter(user_id=user_id, last_seen__gte=cutoff).exists()


def presence_touch(
    *, user: User, channel_name: str, door: Door = Door.DASHBOARD, check: bool = True
) -> bool:
    """Record a heartbeat. True when this made the user appear online. With `check=False`
    (a socket arriving, when a presence broadcast is coming anyway) it does not look, and says
    True."""
    was_online = _is_online(user.pk) if check else False
    # One upsert statement: a reconnect wave runs this once per socket.
    PresenceConnection.objects.bulk_create(
        [
            PresenceConnection(
                user=user, channel_name=channel_name, door=door, last_seen=timezone.now()
            )
        ],
        update_conflicts=True,
        unique_fields=["channel_name"],
        update_fields=["user", "door", "last_seen"],
    )
    return not was_online


def presence_leave(*, channel_name: str) -> bool:
    """A socket closed. True when its user has no other live dashboard."""
    connection = PresenceConnection.objects.filter(channel_name=channel_name).first()
    if connection is None:
        return False
    connection.delete()
    return not _is_online(connection.user_id)


def presence_expire() -> int:
    """Drop connections whose browser stopped beating. Returns how many went."""
    cutoff = timezone.now() - timedelta(seconds=settings.PRESENCE_TIMEOUT_SECONDS)
    deleted, _ = PresenceConnection.objects.filter(last_seen__lt=cutoff).delete()
    return deleted


def floor_watched() -> bool:
    """Whether any floor is open: nobody is sent a floor nobody watches. A floor records itself
    before it draws its first snapshot, so a change is either in that snapshot or sent to it."""
    cutoff = timezone.now() - timedelta(seconds=settings.PRESENCE_TIMEOUT_SECONDS)
    return PresenceConnection.objects.filter(door=Door.FLOOR, last_seen__gte=cutoff).exists()


def online_staff() -> QuerySet[User]:
    """Everyone with a live console page (dashboard, case page or floor): supervisors first
    (the floor looks for them), then by name."""
    cutoff = timezone.now() - timedelta(seconds=settings.PRESENCE_TIMEOUT_SECONDS)
    live = PresenceConnection.objects.filter(user=OuterRef("pk"), last_seen__gte=cutoff)
    first = Case(
        When(role=Role.SUPERVISOR, then=Value(0)),
        When(role=Role.ADMIN, then=Value(1)),
        default=Value(2),
    )
    return (
        User.objects.filter(Exists(live), is_active=True)
        .alias(first=first)
        .order_by("first", "display_name", "username")
    )
