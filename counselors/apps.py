from django.apps import AppConfig


class CounselorsConfig(AppConfig):
    name = "counselors"
    verbose_name = "Counselors and staff"
