from django.apps import AppConfig


class HandoffConfig(AppConfig):
    name = "handoff"
    verbose_name = "Handoffs"

    def ready(self) -> None:
        from handoff import dbtypes  # receivers are connected when the apps are ready

        dbtypes.connect_signal()
