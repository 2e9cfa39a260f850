from django.apps import AppConfig


class CounselorsConfig(AppConfig):
    name = "counselors"
    verbose_name = "Counselors and staff"

    def ready(self) -> None:
        # Connects the receiver that shuts a deactivated account out.
        from counselors import accounts  # noqa: F401
