from django.contrib.admin.apps import AdminConfig


class ConsoleAdminConfig(AdminConfig):
    """Django's admin on the console's own site (counselors.admin_site): signed in through the
    console's sign-in (a password and a code, under the same lockout), and only with a session
    verified by the second factor."""

    default_site = "counselors.admin_site.ConsoleAdminSite"
