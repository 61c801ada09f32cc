from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "JSON API"

    def ready(self) -> None:
        from api import receivers

        del receivers  # imported for its signal receivers
