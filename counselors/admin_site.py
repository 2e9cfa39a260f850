"""The admin site signs in through the console's one sign-in page.

Django's admin has a sign-in form of its own; here it sends the browser to /accounts/login/
instead, so there is one door to guard: the same password, the same second factor, the same
lockout. django-otp's site then also refuses any session not verified by a second factor.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_otp.admin import OTPAdminSite


class ConsoleAdminSite(OTPAdminSite):  # type: ignore[misc]
    site_header = "Handoff Console administration"
    site_title = "Handoff Console admin"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def login(self, request: HttpRequest, extra_context: object = None) -> HttpResponse:
        target = request.GET.get(REDIRECT_FIELD_NAME) or reverse(
            "admin:index", current_app=self.name
        )
        return HttpResponseRedirect(
            f"{settings.LOGIN_URL}?{urlencode({REDIRECT_FIELD_NAME: target})}"
        )

    def has_permission(self, request: HttpRequest) -> bool:
        if not settings.OTP_REQUIRED:
            return bool(super(OTPAdminSite, self).has_permission(request))
        return bool(super().has_permission(request))
