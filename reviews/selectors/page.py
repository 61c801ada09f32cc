"""Everything reviews shows on the design page."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from accounts.models import Membership, User
from designs.models import Design, Section
from reviews.models import ReviewRequest, Verdict
from reviews.selectors.rounds import RoundRow, review_rounds
from reviews.selectors.threads import OpenIssue, diff_url, threads_state_attach


@dataclass
class ReviewerRow:
    user: User
    request: ReviewRequest
    latest_verdict: Verdict | None
    is_member: bool = False


@dataclass
class ChangedSection:
    section: Section
    from_version: int
    to_version: int
    diff_url: str


@dataclass
class DesignReview:
    reviewers: list[ReviewerRow]
    team_members: list[User]
    open_issues: list[tuple[Section, OpenIssue]]
    my_request: ReviewRequest | None
    my_verdict: Verdict | None
    changed_since_my_verdict: list[ChangedSection] = field(default_factory=list)
    rounds: list[RoundRow] = field(default_factory=list)

    @property
    def open_issue_count(self) -> int:
        return len(self.open_issues)

    @property
    def open_issues_by_section(self) -> list[tuple[Section, list[OpenIssue]]]:
        grouped: dict[int, tuple[Section, list[OpenIssue]]] = {}
        for section, issue in self.open_issues:
            grouped.setdefault(section.pk, (section, []))[1].append(issue)
        return list(grouped.values())


def latest_verdicts(verdicts: Iterable[Verdict]) -> dict[int, Verdict]:
    """Each reviewer's newest verdict, by reviewer id."""
    latest: dict[int, Verdict] = {}
    for verdict in sorted(verdicts, key=lambda v: (v.created_at, v.pk)):
        latest[verdict.reviewer_id] = verdict
    return latest


def changed_since(*, verdict: Verdict, sections: list[Section]) -> list[ChangedSection]:
    """Sections whose version moved since ``verdict`` was given, with the diff to read."""
    changed = []
    for section in sections:
        then = int(verdict.revision.get(section.key, 0))
        if section.version > then:
            changed.append(
                ChangedSection(
                    section=section,
                    from_version=then,
                    to_version=section.version,
                    diff_url=diff_url(
                        design_id=verdict.design_id,
                        key=section.key,
                        from_version=then,
                        to_version=section.version,
                    ),
                )
            )
    return changed


def design_review(*, design: Design, sections: list[Section], viewer: User) -> DesignReview:
    """Everything reviews shows on the design page but the threads themselves: reviewers,
    verdicts, team, open issues, and each section's ``threads_state`` and counts.

    Five queries (one for the review rounds) whatever the number of sections, comments,
    verdicts and rounds.
    """
    threads_state_attach(design=design, sections=sections)
    requests = list(
        ReviewRequest.objects.filter(design=design)
        .select_related("reviewer", "requested_by")
        .order_by("created_at", "pk")
    )
    verdicts = list(Verdict.objects.filter(design=design).select_related("reviewer"))
    latest = latest_verdicts(verdicts)
    members = [
        m.user
        for m in Membership.objects.filter(team_id=design.team_id)
        .select_related("user")
        .order_by("user__username")
    ]
    member_ids = {m.pk for m in members}
    open_issues = [
        (section, issue)
        for section in sections
        for issue in section.threads_state.open_issues  # type: ignore[attr-defined]
    ]
    my_request = next((r for r in requests if r.reviewer_id == viewer.pk), None)
    my_verdict = latest.get(viewer.pk)
    return DesignReview(
        reviewers=[
            ReviewerRow(
                user=r.reviewer,
                request=r,
                latest_verdict=latest.get(r.reviewer_id),
                is_member=r.reviewer_id in member_ids,
            )
            for r in requests
        ],
        team_members=members,
        open_issues=open_issues,
        my_request=my_request,
        my_verdict=my_verdict,
        changed_since_my_verdict=(
            changed_since(verdict=my_verdict, sections=sections) if my_verdict else []
        ),
        rounds=review_rounds(design=design, verdicts=verdicts, requests=requests),
    )
