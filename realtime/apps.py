from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Live collaboration"

    def ready(self) -> None:
        from realtime import receivers

        del receivers  # imported for its signal receivers
