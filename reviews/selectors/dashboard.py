"""The dashboard panels: reviews waiting for me, my team's designs with open issues."""

from django.db.models import Count, F, OuterRef, Q, Subquery

from accounts.models import Membership, User
from designs.models import Design
from reviews.models import Comment, ReviewRequest, Verdict


def designs_waiting_for_review(*, fetched_by: User, limit: int = 10) -> list[ReviewRequest]:
    """Review requests for ``fetched_by`` with no verdict since they were (re)requested, or
    whose approval went stale. One query."""
    latest = Verdict.objects.filter(design=OuterRef("design_id"), reviewer=fetched_by).order_by(
        "-created_at", "-pk"
    )
    return list(
        ReviewRequest.objects.filter(reviewer=fetched_by)
        .annotate(
            last_verdict_at=Subquery(latest.values("created_at")[:1]),
            last_verdict_stale=Subquery(latest.values("stale_at")[:1]),
        )
        .filter(
            Q(last_verdict_at__isnull=True)
            | Q(last_verdict_at__lt=F("requested_at"))
            | Q(last_verdict_stale__isnull=False)
        )
        .select_related("design", "design__team", "requested_by")
        .order_by("-requested_at")[:limit]
    )


def designs_with_open_issues(*, fetched_by: User, limit: int = 10) -> list[Design]:
    """Designs of ``fetched_by``'s teams that have open issues, most issues first. One query,
    led by the open-issue index rather than by every design of the teams."""
    teams = Membership.objects.filter(user=fetched_by).values("team_id")
    open_issues = Comment.objects.filter(issue_status=Comment.IssueStatus.OPEN)
    per_design = (
        open_issues.filter(design=OuterRef("pk"))
        .order_by()
        .values("design")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        Design.objects.filter(team_id__in=teams, pk__in=open_issues.values("design_id"))
        .annotate(open_issue_count=Subquery(per_design))
        .select_related("team")
        .order_by("-open_issue_count", "-last_edited_at")[:limit]
    )
