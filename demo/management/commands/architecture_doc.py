"""python manage.py architecture_doc: write docs/architecture.md from Crit's own design.

Crit's architecture is written in Crit: ``seed_demo`` creates the design "Crit" in the
Platform team, and this command writes its Markdown export (the same renderer a user's export
runs) to ``docs/architecture.md``. ``--check`` writes nothing and fails when the file differs
from what the design gives, so the document and the design cannot drift apart. The export's
"Last edited" line says when the design was seeded, which differs from database to database;
the check ignores that one line.
"""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.management.commands.seed_demo import CRIT_TITLE, TEAM_NAME
from designs.models import Design
from exports.renderers import markdown
from exports.selectors import export_source

LAST_EDITED = "- **Last edited:**"


def _comparable(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith(LAST_EDITED)]


class Command(BaseCommand):
    help = "Write docs/architecture.md, the Markdown export of the design 'Crit' (seed_demo)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; exit with an error when docs/architecture.md is stale.",
        )
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help="Where to write (default: docs/architecture.md in the source tree).",
        )

    def handle(self, *args: Any, check: bool = False, output: Path | None = None, **options: Any):
        path = output or Path(settings.BASE_DIR) / "docs" / "architecture.md"
        design = (
            Design.objects.filter(team__name=TEAM_NAME, title=CRIT_TITLE)
            .select_related("team")
            .order_by("pk")
            .first()
        )
        if design is None:
            raise CommandError(
                f"No design “{CRIT_TITLE}” in team {TEAM_NAME}: run `manage.py seed_demo` first."
            )
        text = markdown.render(export_source(design=design))
        if check:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if _comparable(current) != _comparable(text):
                raise CommandError(
                    f"{path} is stale: it is not the export of the design “{CRIT_TITLE}”. "
                    "Run `make docs` and commit the file."
                )
            self.stdout.write(f"{path} is up to date.")
            return
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {path}.")
