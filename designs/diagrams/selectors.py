"""Reads for diagrams. Who may see a diagram is who may read a design that uses it."""

from collections.abc import Iterable

from django.http import Http404

from accounts.models import User
from designs.diagrams import blocks, renderer
from designs.diagrams.models import Diagram, DiagramUse
from designs.selectors import design_get_for


def diagram_svg_for(user: User, design_id: int, key: str) -> str:
    """The SVG of a drawn diagram that the design shows. Http404 to anyone who may not
    read the design, and for a diagram the design does not show (or not yet drawn)."""
    design_get_for(user, design_id)
    svg = (
        DiagramUse.objects.filter(
            design_id=design_id, diagram__key=key, diagram__status=Diagram.Status.READY
        )
        .values_list("diagram__svg", flat=True)
        .first()
    )
    if svg is None:
        raise Http404("No such diagram.")
    return svg


def diagram_states(*, design_id: int) -> dict[str, blocks.Shown]:
    """What each diagram the design shows looks like now, by key; one query."""
    rows = (
        DiagramUse.objects.filter(design_id=design_id)
        .values_list("diagram__key", "diagram__status", "diagram__error")
        .distinct()
    )
    drawable = renderer.available()
    states = {}
    for key, status, error in rows:
        if status == Diagram.Status.PENDING and not drawable:
            states[key] = blocks.Shown(blocks.UNAVAILABLE)
        else:
            states[key] = blocks.Shown(status, error=error)
    return states


def diagrams_by_key(*, keys: Iterable[str]) -> dict[str, Diagram]:
    """Stored diagrams by key (for a preview or an export, whose caller checked access to
    the text they come from); one query."""
    return {d.key: d for d in Diagram.objects.filter(key__in=set(keys))}
