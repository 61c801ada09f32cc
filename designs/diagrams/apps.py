from django.apps import AppConfig


class DiagramsConfig(AppConfig):
    """Mermaid diagrams in sections: drawn on the server, stored once per source, shown as
    images from the design's own URL."""

    name = "designs.diagrams"
    label = "diagrams"
    verbose_name = "Diagrams"

    def ready(self) -> None:
        from designs.diagrams import page

        page.register()
