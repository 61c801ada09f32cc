"""What designs itself shows on its pages through the panels: related designs (links),
registered from DesignsConfig.ready() like the other apps' panels."""

from typing import Any

from designs import selectors
from designs.models import Design, DesignLink
from designs.page import PageRequest, Panel, StampPart

DESIGN_PANELS = (
    Panel(page="design", slot="header", template="designs/related_panel.html#related", order=5),
)

# The design page shows the title of each linked design the viewer may read: a link added
# or removed on either side, a linked design renamed, or the viewer gaining or losing
# access to one, changes the page's stamp.
_LINKED = (
    "id IN (SELECT to_design_id FROM designs_designlink WHERE from_design_id = %(design)s "
    "UNION SELECT from_design_id FROM designs_designlink WHERE to_design_id = %(design)s)"
)
STAMP_PARTS = (
    StampPart(model=DesignLink, column="from_design", of="design"),
    StampPart(model=DesignLink, column="to_design", of="design"),
    StampPart(model=Design, column="id", of="viewer_designs", where=_LINKED),
)
# The dashboard marks superseded designs (the superseding designs are among the viewer's
# designs, whose rows the dashboard stamps already).
DASHBOARD_STAMP_PARTS = (
    StampPart(
        model=DesignLink, column="to_design", of="viewer_designs", where="kind = 'supersedes'"
    ),
)


def design_page_loader(page_request: PageRequest) -> dict[str, Any]:
    """The design's links the viewer may see: one query, however many links."""
    access = page_request.access
    if access is None:
        return {}
    related = selectors.design_links(
        design=access.design,
        fetched_by=page_request.request.user,  # type: ignore[arg-type]
    )
    return {
        "related": related,
        "superseded_by": [
            r for r in related if r.link.kind == DesignLink.Kind.SUPERSEDES and not r.outgoing
        ],
    }
