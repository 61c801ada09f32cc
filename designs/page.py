"""Extension points for the pages designs owns: the design page and the dashboard.

Apps above designs (reviews, exports) show things on these pages. They register a context
loader and panels here from their AppConfig.ready(), so designs never imports them. A
loader runs once per page view and must use a fixed number of queries whatever the number
of sections or designs shown.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from designs.models import Section
from designs.selectors import DesignAccess

PAGES = ("design", "dashboard")
SLOTS = {
    "design": ("header", "sidebar", "section_header", "section"),
    "dashboard": ("top",),
}


@dataclass(frozen=True)
class Panel:
    page: str
    slot: str  # "section*" slots render once per section with ``section`` in the context
    template: str
    order: int = 100


@dataclass(frozen=True)
class PageRequest:
    page: str
    request: HttpRequest
    access: DesignAccess | None = None
    sections: list[Section] = field(default_factory=list)


Loader = Callable[[PageRequest], dict[str, Any]]

_loaders: dict[str, list[Loader]] = {name: [] for name in PAGES}
_panels: list[Panel] = []


def register(*, page: str, loader: Loader | None = None, panels: tuple[Panel, ...] = ()) -> None:
    if page not in PAGES:
        raise ValueError(f"Unknown page {page!r}")
    if loader is not None and loader not in _loaders[page]:
        _loaders[page].append(loader)
    for panel in panels:
        if panel.page != page or panel.slot not in SLOTS[page]:
            raise ValueError(f"Unknown slot {panel.slot!r} on the {page} page")
        if panel not in _panels:
            _panels.append(panel)


def page_context(page_request: PageRequest) -> dict[str, Any]:
    """The panels to include per slot, and whatever the registered loaders add."""
    page = page_request.page
    ordered = sorted((p for p in _panels if p.page == page), key=lambda p: p.order)
    context: dict[str, Any] = {
        "panels": {slot: [p.template for p in ordered if p.slot == slot] for slot in SLOTS[page]}
    }
    for loader in _loaders[page]:
        context.update(loader(page_request))
    return context
