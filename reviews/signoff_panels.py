"""What section sign-offs show on the pages designs owns, registered from
ReviewsConfig.ready(): each section's sign-off state, what is still missing (sidebar), and
the dashboard's "Sections waiting for my sign-off"."""

from typing import Any

from accounts.models import TeamRole
from designs.models import Section
from designs.page import PageRequest, Panel, SectionPart, StampPart
from reviews.models import SectionOwner, SectionSignoff, SignoffRequirement
from reviews.selectors import signoffs as selectors

TEMPLATE = "reviews/signoffs.html"

DESIGN_PANELS = (
    Panel(page="design", slot="sidebar", template=f"{TEMPLATE}#signoff-missing", order=20),
    Panel(page="design", slot="section", template=f"{TEMPLATE}#section-signoff", order=5),
)
DASHBOARD_PANELS = (
    Panel(page="dashboard", slot="top", template=f"{TEMPLATE}#waiting-for-my-signoff", order=20),
)

# Every write saves or deletes one of these rows; a role given or taken saves the holder's
# membership, which the design page stamps already.
STAMP_PARTS = (
    StampPart(model=SectionOwner, column="design", of="design"),
    StampPart(model=SignoffRequirement, column="design", of="design"),
    StampPart(model=SectionSignoff, column="design", of="design"),
    StampPart(model=TeamRole, column="team", of="team"),
)
DASHBOARD_STAMP_PARTS = (
    StampPart(model=SignoffRequirement, column="design", of="viewer_designs"),
    StampPart(model=SectionSignoff, column="design", of="viewer_designs"),
    StampPart(model=TeamRole, column="team", of="viewer_teams"),
)


def design_page_loader(page_request: PageRequest) -> dict[str, Any]:
    """Owners, requirements, their newest sign-offs and the viewer's roles: four queries at
    most, however many sections and sign-offs. Each section gets its ``signoff`` state."""
    access = page_request.access
    if access is None:
        return {}
    signoffs = selectors.design_signoffs(
        design=access.design,
        sections=page_request.sections,
        viewer=page_request.request.user,  # type: ignore[arg-type]
    )
    for state in signoffs.sections:
        state.section.signoff = state  # type: ignore[attr-defined]
    return {"signoffs": signoffs}


def section_key_part(page_request: PageRequest, section: Section) -> str:
    state = getattr(section, "signoff", None)
    return state.stamp if state is not None else "-"


def section_prepare(
    page_request: PageRequest, sections: list[Section], csrf_token: str
) -> dict[int, int]:
    """The loader attached everything already; the panel shows no "… ago"."""
    return {}


SECTION_PART = SectionPart(key=section_key_part, prepare=section_prepare)


def dashboard_loader(page_request: PageRequest) -> dict[str, Any]:
    """One query: the required sign-offs the viewer can give and nobody has."""
    user = page_request.request.user
    if not user.is_authenticated:
        return {}
    return {"waiting_for_my_signoff": selectors.sections_waiting_for_signoff(fetched_by=user)}  # type: ignore[arg-type]
