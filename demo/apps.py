from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for a fresh install. Sits on top of every app and only calls their services."""

    name = "demo"
