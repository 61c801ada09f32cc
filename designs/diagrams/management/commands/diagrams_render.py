"""python manage.py diagrams_render: record the diagrams of every section and draw those
not drawn yet, here and now (after an upgrade that added diagrams, or after installing
Chromium on a server that had none)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from designs.diagrams import renderer, services
from designs.diagrams.models import Diagram
from designs.models import Section


class Command(BaseCommand):
    help = "Record every section's Mermaid diagrams and draw the pending ones."

    def handle(self, *args: Any, **options: Any) -> None:
        if not renderer.available():
            raise CommandError(
                f"No Chromium at {renderer.chromium_path()!r}: install it (see README.md) or "
                "set CRIT_CHROMIUM_PATH."
            )
        sections = Section.objects.filter(body_html__contains='class="language-mermaid"')
        for section in sections.iterator():
            services.diagram_uses_update(
                section=section, body_html=section.body_html, previous_html=""
            )
        pending = Diagram.objects.filter(status=Diagram.Status.PENDING).values_list(
            "key", flat=True
        )
        counts = {status: 0 for status in Diagram.Status.values}
        try:
            for key in list(pending):
                diagram = services.diagram_render(key=key)
                if diagram is not None:
                    counts[diagram.status] += 1
        finally:
            renderer.shutdown()
        summary = ", ".join(f"{count} {status}" for status, count in counts.items())
        self.stdout.write(f"Drew the pending diagrams: {summary}.")
