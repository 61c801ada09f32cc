"""Renderers turn an ExportSource (a design frozen at one revision) into a file.

They are pure: the same source gives the same output, and they never touch the database.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reviews.selectors import ReviewRecord


@dataclass(frozen=True)
class SectionSnapshot:
    position: int
    key: str
    title: str
    state: str
    state_label: str
    na_reason: str
    version: int
    body: str  # exactly as stored
    body_html: str  # sanitised HTML of ``body``

    @property
    def is_not_applicable(self) -> bool:
        return self.state == "not_applicable"

    @property
    def anchor(self) -> str:
        return f"section-{self.key}"


@dataclass(frozen=True)
class ExportSource:
    design_id: int
    title: str
    summary: str
    team: str
    authors: tuple[str, ...]
    status: str
    status_label: str
    covered_count: int
    section_count: int
    last_edited_at: datetime
    sections: tuple[SectionSnapshot, ...]
    review: ReviewRecord | None = None
    # Anything else that should change the file when it changes.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def coverage_percent(self) -> int:
        if not self.section_count:
            return 0
        return round(100 * self.covered_count / self.section_count)

    @property
    def revision(self) -> dict[str, int]:
        return {s.key: s.version for s in self.sections}
