"""The design's status, recomputed from verdicts and open issues."""

from collections.abc import Iterable

from django.db import transaction

from designs import services as design_services
from designs.models import Design
from reviews.models import (
    Comment,
    ReviewRequest,
    Verdict,
)
from reviews.selectors import latest_verdicts
from reviews.selectors.signoffs import design_signoffs_complete


def review_status_for(
    *,
    latest: Iterable[Verdict],
    has_open_issues: bool,
    has_reviewers: bool,
    signoffs_complete: bool = True,
) -> str:
    """The status rules, as a pure function.

    - "draft" while nobody is asked to review it (nobody yet, or every request withdrawn);
    - "changes requested" while any reviewer's latest verdict is request changes;
    - "approved" when at least one latest verdict is a (not stale) approval, none requests
      changes, no issue is open and every required section sign-off is given on the
      section's current version;
    - otherwise "in review".
    """
    if not has_reviewers:
        return Design.Status.DRAFT
    latest = list(latest)
    if any(v.kind == Verdict.Kind.REQUEST_CHANGES for v in latest):
        return Design.Status.CHANGES_REQUESTED
    if (
        not has_open_issues
        and signoffs_complete
        and any(v.kind == Verdict.Kind.APPROVE and not v.is_stale for v in latest)
    ):
        return Design.Status.APPROVED
    return Design.Status.IN_REVIEW


@transaction.atomic
def design_review_status_refresh(*, design: Design) -> str:
    """Recompute the design's status from its reviewers, verdicts, open issues and required
    sign-offs, and its
    count of live approvals, and store them through designs. Atomic; the design row is
    locked so concurrent reviews serialise. Returns the status."""
    locked = (
        Design.objects.select_for_update()
        .only("pk", "status", "live_approval_count")
        .get(pk=design.pk)
    )
    reviewers = ReviewRequest.objects.filter(design_id=design.pk).values("reviewer_id")
    status = review_status_for(  # the verdicts of the reviewers asked now
        latest=latest_verdicts(
            Verdict.objects.filter(design_id=design.pk, reviewer_id__in=reviewers)
        ).values(),
        has_open_issues=Comment.objects.filter(
            design_id=design.pk, issue_status=Comment.IssueStatus.OPEN
        ).exists(),
        has_reviewers=ReviewRequest.objects.filter(design_id=design.pk).exists(),
        signoffs_complete=design_signoffs_complete(design_id=design.pk),
    )
    live_approvals = Verdict.objects.filter(
        design_id=design.pk, kind=Verdict.Kind.APPROVE, stale_at__isnull=True
    ).count()
    if (status, live_approvals) != (locked.status, locked.live_approval_count):
        design_services.design_status_set(
            design=design, status=status, live_approval_count=live_approvals
        )
    design.status, design.live_approval_count = status, live_approvals
    return status
