from django.apps import AppConfig


class CounselorsConfig(AppConfig):
    name = "counselors"
    verbose_name = "Counselors and staff"

    def ready(self) -> None:
        # Connects the receivers that shut a deactivated account out and that record and
        # answer sign-ins. Not at the top: they import the models, which Django allows only
        # once the app registry is ready.
        from counselors import accounts, sessions, signin  # noqa: F401
