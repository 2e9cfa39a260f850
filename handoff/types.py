from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from counselors.models import User


class StaffRequest(HttpRequest):
    """A request that passed staff_required: a signed-in staff member, with htmx details."""

    user: User
    htmx: HtmxDetails
