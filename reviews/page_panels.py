"""What reviews shows on the pages designs owns, registered from ReviewsConfig.ready()."""

from typing import Any

from designs.page import PageRequest, Panel
from reviews import fragments, selectors

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
    """Reviewers, verdicts, issues and every section's threads: four queries, and two more
    when some section's threads are not in the cache."""
    access = page_request.access
    if access is None:
        return {}
    review = selectors.design_review(
        design=access.design,
        sections=page_request.sections,
        viewer=page_request.request.user,  # type: ignore[arg-type]
    )
    fragments.threads_html_attach(
        request=page_request.request,
        design=access.design,
        sections=page_request.sections,
        is_member=access.is_member,
    )
    return {"review": review}


def dashboard_loader(page_request: PageRequest) -> dict[str, Any]:
    """Two queries: my pending reviews, my team's designs with open issues."""
    user = page_request.request.user
    if not user.is_authenticated:
        return {}
    return {
        "waiting_for_my_review": selectors.designs_waiting_for_review(fetched_by=user),  # type: ignore[arg-type]
        "designs_with_open_issues": selectors.designs_with_open_issues(fetched_by=user),  # type: ignore[arg-type]
    }
