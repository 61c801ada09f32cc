"""What reviews shows on the pages designs owns, registered from ReviewsConfig.ready()."""

from typing import Any

from designs.models import Section
from designs.page import PageRequest, Panel, SectionPart, StampPart
from reviews import fragments, selectors
from reviews.models import Comment, Notification, ReviewRequest, Verdict

PANELS_TEMPLATE = "reviews/design_panels.html"

DESIGN_PANELS = (
    Panel(page="design", slot="header", template=f"{PANELS_TEMPLATE}#review-header", order=10),
    Panel(page="design", slot="sidebar", template=f"{PANELS_TEMPLATE}#issue-summary", order=10),
    Panel(
        page="design",
        slot="section_header",
        template=f"{PANELS_TEMPLATE}#section-count",
        order=10,
    ),
    Panel(page="design", slot="section", template=f"{PANELS_TEMPLATE}#section-threads", order=10),
)

DASHBOARD_PANELS = (
    Panel(page="dashboard", slot="top", template="reviews/dashboard_panel.html", order=10),
)


def design_page_loader(page_request: PageRequest) -> dict[str, Any]:
    """Reviewers, verdicts, issues and each section's threads state: four queries. The
    threads themselves are rendered only for section cards not in the cache."""
    access = page_request.access
    if access is None:
        return {}
    review = selectors.design_review(
        design=access.design,
        sections=page_request.sections,
        viewer=page_request.request.user,  # type: ignore[arg-type]
    )
    return {"review": review}


def section_key_part(page_request: PageRequest, section: Section) -> str:
    """The threads' stamp and what the viewer may do with them (after the loader)."""
    assert page_request.access is not None
    return fragments.threads_key_part(
        section,
        viewer_id=page_request.request.user.pk or 0,
        is_member=page_request.access.is_member,
    )


def section_prepare(
    page_request: PageRequest, sections: list[Section], csrf_token: str
) -> dict[int, int]:
    """The threads panels of sections whose card is rendered anew: two queries at most."""
    assert page_request.access is not None
    return fragments.threads_html_attach(
        request=page_request.request,
        design=page_request.access.design,
        sections=sections,
        is_member=page_request.access.is_member,
        csrf_token=csrf_token,
    )


SECTION_PART = SectionPart(key=section_key_part, prepare=section_prepare)

# What the pages show of reviews, for their stamps: every write to a thread, a request or a
# verdict saves its row; the navigation shows the viewer's unread notification count.
UNREAD = StampPart(
    model=Notification, column="recipient", of="viewer", where="read_at IS NULL", dated=False
)
STAMP_PARTS = (
    StampPart(model=Comment, column="design", of="design"),
    StampPart(model=ReviewRequest, column="design", of="design"),
    StampPart(model=Verdict, column="design", of="design"),
    UNREAD,
)
DASHBOARD_STAMP_PARTS = (
    StampPart(model=ReviewRequest, column="reviewer", of="viewer"),
    StampPart(model=Verdict, column="reviewer", of="viewer"),
    # The dashboard shows open issues only (how many per design): the stamp reads them from
    # their partial index, not every comment of every design the viewer can see.
    StampPart(model=Comment, column="design", of="viewer_designs", where="issue_status = 'open'"),
    UNREAD,
)


def dashboard_loader(page_request: PageRequest) -> dict[str, Any]:
    """Two queries: my pending reviews, my team's designs with open issues."""
    user = page_request.request.user
    if not user.is_authenticated:
        return {}
    return {
        "waiting_for_my_review": selectors.designs_waiting_for_review(fetched_by=user),  # type: ignore[arg-type]
        "designs_with_open_issues": selectors.designs_with_open_issues(fetched_by=user),  # type: ignore[arg-type]
    }
