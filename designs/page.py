"""Extension points for the pages designs owns: the design page and the dashboard.

Apps above designs (reviews, exports) show things on these pages. They register a context
loader and panels here from their AppConfig.ready(), so designs never imports them. A
loader runs once per page view and must use a fixed number of queries whatever the number
of sections or designs shown.

Each section card of the design page is cached as HTML under a key made of everything it
shows: the templates' sources, the section and its version (every save, state change and
restore makes a new one), whether the viewer may edit, and each section panel's own part
(a ``SectionPart``). Each form's CSRF token is stored as a placeholder and replaced by the
viewer's own when served. A page looks all its cards up in one round trip and renders only
those that missed.
"""

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

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


@dataclass(frozen=True)
class SectionPart:
    """How an app's section panels take part in the cached section cards.

    ``key`` answers, after the loaders ran, a string that changes whenever what the app's
    panels show for that section and viewer changes (the section's version aside).
    ``prepare`` attaches what the panels render to the sections whose card is rendered anew,
    writing ``csrf_token`` wherever a CSRF token goes, and answers for how many seconds each
    section's part stays right (its "… ago" phrases); sections left out stay right a day.
    """

    key: Callable[[PageRequest, Section], str]
    prepare: Callable[[PageRequest, list[Section], str], dict[int, int]]


CARD_TEMPLATE = "designs/design_detail.html"
CARD_PARTIAL = f"{CARD_TEMPLATE}#section-card-html"
MINUTE, HOUR, DAY, WEEK = 60, 60 * 60, 24 * 60 * 60, 7 * 24 * 60 * 60

_loaders: dict[str, list[Loader]] = {name: [] for name in PAGES}
_panels: list[Panel] = []
_section_parts: list[SectionPart] = []


def register(
    *,
    page: str,
    loader: Loader | None = None,
    panels: tuple[Panel, ...] = (),
    section_part: SectionPart | None = None,
) -> None:
    if page not in PAGES:
        raise ValueError(f"Unknown page {page!r}")
    if loader is not None and loader not in _loaders[page]:
        _loaders[page].append(loader)
    if section_part is not None and section_part not in _section_parts:
        if page != "design":
            raise ValueError("Only the design page has section cards")
        _section_parts.append(section_part)
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
    if page == "design" and page_request.access is not None:
        section_cards_attach(page_request, context)
    return context


def section_cards_attach(page_request: PageRequest, context: dict[str, Any]) -> None:
    """Attach ``card_html``, the whole section card, to each of the page's sections.

    One cache round trip for all the cards; the cards that missed are prepared by each
    section part, rendered and stored (one more round trip per distinct lifetime).
    """
    access = page_request.access
    assert access is not None
    sections = page_request.sections
    token = get_token(page_request.request)
    digest = _cards_digest(context["panels"])
    keys = {s.pk: _card_key(page_request, s, digest, can_edit=access.can_edit) for s in sections}
    entries: dict[str, tuple[str, str]] = cache.get_many(list(keys.values()))
    missed = [s for s in sections if keys[s.pk] not in entries]
    if missed:
        placeholder = secrets.token_urlsafe(18)
        now = timezone.now()
        fresh = {s.pk: fresh_for([s.updated_at] if s.version else [], now) for s in missed}
        for part in _section_parts:
            for pk, seconds in part.prepare(page_request, missed, placeholder).items():
                fresh[pk] = min(fresh[pk], seconds)
        base = {**context, "design": access.design, "access": access, "csrf_token": placeholder}
        by_lifetime: dict[int, dict[str, tuple[str, str]]] = defaultdict(dict)
        for section in missed:
            rendered = str(render_to_string(CARD_PARTIAL, {**base, "section": section}))
            entry = (placeholder, rendered)
            entries[keys[section.pk]] = by_lifetime[fresh[section.pk]][keys[section.pk]] = entry
        for seconds, batch in by_lifetime.items():
            cache.set_many(batch, seconds)
    for section in sections:
        placeholder, html = entries[keys[section.pk]]
        section.card_html = mark_safe(html.replace(placeholder, token))  # type: ignore[attr-defined]  # noqa: S308


def fresh_for(times: Iterable[datetime], now: datetime) -> int:
    """Seconds HTML showing ``times`` as "… ago" may be served unchanged. Django's
    ``timesince`` counts minutes within a day, hours within a week, days after that, so a
    phrase is at most one of its units behind (as on a page left open that long)."""
    youngest = min(((now - moment).total_seconds() for moment in times), default=float(WEEK))
    return MINUTE if youngest < DAY else HOUR if youngest < WEEK else DAY


def _card_key(page_request: PageRequest, section: Section, digest: str, *, can_edit: bool) -> str:
    parts = ":".join(part.key(page_request, section) for part in _section_parts)
    edit = "edit" if can_edit else "read"
    return f"card:{digest}:{section.pk}:{section.version}:{edit}:{parts}"


def _cards_digest(panels: dict[str, list[str]]) -> str:
    """Changes with the source of the card's template or of any section panel's."""
    names = {CARD_TEMPLATE}
    names.update(t.partition("#")[0] for t in panels["section_header"] + panels["section"])
    digest = hashlib.blake2b(digest_size=6)
    for name in sorted(names):
        digest.update(get_template(name).template.source.encode())  # type: ignore[attr-defined]
    return digest.hexdigest()
