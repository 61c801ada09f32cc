"""Diagrams on the design page, in the editor's preview and in the PDF.

On the page, each section's diagram blocks become what the diagram shows now (the image,
a placeholder, an error) before the cards are rendered, and the diagrams' states are part
of each card's cache key. A card with a diagram still being drawn carries a link that htmx
follows a moment later to fetch the card again: the placeholder fills in by itself, with no
script of ours. Drawing a diagram touches its uses, which moves the page's stamp.
"""

import hashlib
import logging
from typing import Any

from django.conf import settings

from designs import page
from designs.diagrams import blocks, renderer, selectors, services
from designs.diagrams.models import DiagramUse
from designs.models import Section

logger = logging.getLogger(__name__)


def register() -> None:
    page.register(
        page="design",
        loader=_load,
        panels=(page.Panel(page="design", slot="section", template="diagrams/poll.html"),),
        section_part=page.SectionPart(key=_card_key, prepare=_prepare),
        stamp_parts=(page.StampPart(model=DiagramUse, column="design", of="design"),),
    )


def _load(page_request: page.PageRequest) -> dict[str, Any]:
    """Put each section's diagrams in its HTML (one query, for sections that have any)."""
    sections = [s for s in page_request.sections if blocks.has_blocks(s.body_html)]
    if not sections or page_request.access is None:
        return {}
    states = selectors.diagram_states(design_id=page_request.access.design.pk)
    design_id = page_request.access.design.pk
    for section in sections:
        if hasattr(section, "diagrams_digest"):
            continue  # already shown: its blocks are figures now
        shown_states: list[str] = []

        def state_of(key: str, source: str, shown_states=shown_states) -> blocks.Shown:
            shown = states.get(key) or _unrecorded(states)
            shown_states.append(f"{key[:16]}={shown.state}")
            return shown

        section.body_html = blocks.show(  # as shown; the row keeps the stored HTML
            section.body_html,
            state_of,
            image=lambda key, shown: blocks.svg_url(design_id, key),
        )
        pending = any(state.endswith(f"={blocks.PENDING}") for state in shown_states)
        section.diagrams_pending = pending  # type: ignore[attr-defined]
        digest = hashlib.blake2b(" ".join(shown_states).encode(), digest_size=8).hexdigest()
        section.diagrams_digest = digest  # type: ignore[attr-defined]
    return {}


def _unrecorded(states: dict[str, blocks.Shown]) -> blocks.Shown:
    """A block without a recorded use: over the design's limit, or saved before diagrams
    were drawn (``manage.py diagrams_render`` records those)."""
    if len(states) >= settings.CRIT_DIAGRAMS_PER_DESIGN:
        return blocks.Shown(blocks.OVER_LIMIT)
    return blocks.Shown(blocks.UNAVAILABLE if not renderer.available() else blocks.UNRECORDED)


def _card_key(page_request: page.PageRequest, section: Section) -> str:
    return getattr(section, "diagrams_digest", "")


def _prepare(page_request: page.PageRequest, sections: list[Section], token: str) -> dict:
    return {}


# Diagrams one preview may draw; the others show a placeholder until the section is saved.
PREVIEW_RENDERS = 3


def preview_html(body_html: str) -> str:
    """A preview's diagrams, as ``data:`` images: the stored ones, and up to PREVIEW_RENDERS
    drawn now (the preview limit bounds how often a person can ask)."""
    if not blocks.has_blocks(body_html):
        return body_html
    stored = selectors.diagrams_by_key(keys=blocks.keys(body_html))
    drawn = 0

    def state_of(key: str, source: str) -> blocks.Shown:
        nonlocal drawn
        diagram = stored.get(key)
        if (diagram is None or diagram.status == diagram.Status.PENDING) and (
            drawn < PREVIEW_RENDERS
        ):
            drawn += 1
            try:
                diagram = services.diagram_get_or_render(source=source, render_now=True)
            except Exception:  # the browser failed: shown as being drawn; the save retries
                logger.warning("drawing a diagram for a preview failed", exc_info=True)
        return _shown(diagram)

    return blocks.show(body_html, state_of, image=lambda key, shown: blocks.data_url(shown.svg))


def print_html(bodies: list[str]) -> list[str]:
    """Section bodies for the PDF, each diagram embedded as a ``data:`` image (drawn now if
    it has not been: exports run in the background)."""
    keys = {key for body in bodies if blocks.has_blocks(body) for key in blocks.keys(body)}
    if not keys:
        return bodies
    stored = selectors.diagrams_by_key(keys=keys)

    def state_of(key: str, source: str) -> blocks.Shown:
        diagram = stored.get(key)
        if diagram is None or diagram.status == diagram.Status.PENDING:
            diagram = services.diagram_get_or_render(source=source, render_now=True)
        return _shown(diagram)

    def image(key: str, shown: blocks.Shown) -> str:
        return blocks.data_url(shown.svg)

    return [
        blocks.show(body, state_of, image=image) if blocks.has_blocks(body) else body
        for body in bodies
    ]


def _shown(diagram) -> blocks.Shown:
    if diagram is None or diagram.status == diagram.Status.PENDING:
        return blocks.Shown(blocks.UNAVAILABLE if not renderer.available() else blocks.PENDING)
    return blocks.Shown(diagram.status, error=diagram.error, svg=diagram.svg)
