from django.apps import AppConfig


class CounselorsConfig(AppConfig):
    name = "counselors"
    verbose_name = "Counselors and staff"

    def ready(self) -> None:
        # Connects the receiver that shuts a deactivated account out. Not at the top: it
        # imports the models, which Django allows only once the app registry is ready.
        from counselors import accounts  # noqa: F401
