"""Checklists shipped with Crit, as Markdown files, and the parser that turns one into sections.

A checklist file starts with a list of links ``[Title](#key)`` that fixes the order and the
keys, followed by ``### Title`` headings whose bullets are the guidance for that section.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHECKLIST_DIR = Path(__file__).parent
DEFAULT_CHECKLIST = CHECKLIST_DIR / "system-design-checklist.md"

_LINK = re.compile(r"^\[(?P<title>[^\]]+)\]\(#(?P<key>[\w-]+)\)\s*$")
_HEADING = re.compile(r"^#{2,3}\s+(?P<title>.+?)\s*$")
_ACRONYM = re.compile(r"\b(api|db)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ChecklistSection:
    key: str
    title: str
    guidance: str


def _tidy_title(title: str) -> str:
    """Capitalise the first letter and the acronyms; keep the checklist's wording."""
    text = _ACRONYM.sub(lambda m: m[0].upper(), title.strip())
    return text[:1].upper() + text[1:]


def parse_checklist(text: str) -> list[ChecklistSection]:
    keys: list[str] = []
    guidance: dict[str, list[str]] = {}
    titles: list[str] = []
    current: str | None = None
    for line in text.splitlines():
        link = _LINK.match(line.strip())
        if link and current is None:
            keys.append(link["key"])
            continue
        heading = _HEADING.match(line)
        if heading:
            current = heading["title"]
            titles.append(current)
            guidance[current] = []
            continue
        if current is not None and line.strip():
            guidance[current].append(line.rstrip())
    if len(keys) != len(titles):
        raise ValueError(f"Checklist lists {len(keys)} links but has {len(titles)} headings.")
    return [
        ChecklistSection(key=key, title=_tidy_title(title), guidance="\n".join(guidance[title]))
        for key, title in zip(keys, titles, strict=True)
    ]


def default_checklist() -> list[ChecklistSection]:
    return parse_checklist(DEFAULT_CHECKLIST.read_text(encoding="utf-8"))


DEFAULT_TEMPLATE_SLUG = "system-design"


def install_default_template(template_model: Any, section_model: Any) -> Any:
    """Create or refresh the shipped checklist as the default template; idempotent.

    Takes the model classes so the data migration (historical models) and the service
    (current models) share one definition.
    """
    template, _ = template_model.objects.update_or_create(
        slug=DEFAULT_TEMPLATE_SLUG,
        defaults={
            "name": "System design checklist",
            "description": "The 17-section checklist: from the customer to resource estimation.",
            "is_default": True,
            "team": None,
        },
    )
    for position, section in enumerate(default_checklist(), start=1):
        section_model.objects.update_or_create(
            template=template,
            key=section.key,
            defaults={"position": position, "title": section.title, "guidance": section.guidance},
        )
    return template
