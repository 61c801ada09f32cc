"""Reads for reviews that depend on who asks. Outsiders always get Http404.

Everything a page shows is loaded in a fixed number of queries, whatever the number of
sections, comments or verdicts.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.urls import reverse

from accounts.models import Membership, User
from designs.models import Design, Section
from designs.selectors import DesignAccess, design_get_for
from reviews import rules
from reviews.models import (
    Comment,
    IssueChange,
    Notification,
    NotificationSettings,
    ReviewRequest,
    Verdict,
)

# Access ------------------------------------------------------------------------------------


def comment_get_for(user: User, comment_id: int) -> tuple[DesignAccess, Comment]:
    """A comment on a design the caller can see, with their access; Http404 otherwise."""
    design_id = Comment.objects.filter(pk=comment_id).values_list("design_id", flat=True).first()
    if design_id is None:
        raise Http404("No such comment.")
    access = design_get_for(user, design_id)
    comment = Comment.objects.select_related("author", "section").get(pk=comment_id)
    comment.design = access.design
    comment.section.design = access.design
    return access, comment


def user_can_see_design(*, users: Iterable[User], design: Design) -> set[int]:
    """Ids of ``users`` who are on the design's team or were granted read access."""
    ids = [u.pk for u in users]
    if not ids:
        return set()
    return set(
        User.objects.filter(pk__in=ids)
        .filter(Q(memberships__team_id=design.team_id) | Q(design_grants__design_id=design.pk))
        .values_list("pk", flat=True)
    )


# Threads -----------------------------------------------------------------------------------


def _load_threads(*, design: Design, sections: list[Section]) -> dict[int, list[Comment]]:
    """Top-level comments per section id, each with ``thread_replies`` and ``changes``.

    Two queries whatever the number of comments.
    """
    section_ids = [s.pk for s in sections]
    comments = list(
        Comment.objects.filter(design=design, section_id__in=section_ids)
        .select_related("author", "resolved_by")
        .order_by("created_at", "pk")
    )
    changes_by_comment: dict[int, list[IssueChange]] = defaultdict(list)
    issue_ids = [c.pk for c in comments if c.issue_status]
    if issue_ids:
        for change in (
            IssueChange.objects.filter(comment_id__in=issue_ids)
            .select_related("changed_by")
            .order_by("created_at", "pk")
        ):
            changes_by_comment[change.comment_id].append(change)
    by_id = {c.pk: c for c in comments}
    threads: dict[int, list[Comment]] = defaultdict(list)
    for comment in comments:
        comment.thread_replies = []  # type: ignore[attr-defined]
        comment.changes = changes_by_comment.get(comment.pk, [])  # type: ignore[attr-defined]
    for comment in comments:
        if comment.parent_id:
            parent = by_id.get(comment.parent_id)
            if parent is not None:
                parent.thread_replies.append(comment)  # type: ignore[attr-defined]
        else:
            threads[comment.section_id].append(comment)
    return threads


def _diff_url(*, design_id: int, key: str, from_version: int, to_version: int) -> str:
    base = reverse("designs:section_diff", args=[design_id, key])
    return f"{base}?from={from_version}&to={to_version}"


def threads_attach(
    *, design: Design, sections: list[Section], viewer: User, is_member: bool
) -> None:
    """Attach each section's threads (``review_threads``), its comment and open issue
    counts, and what the viewer may do on each comment. Two queries."""
    threads = _load_threads(design=design, sections=sections)
    for section in sections:
        section_threads = threads.get(section.pk, [])
        count = 0
        open_issues = 0
        for thread in section_threads:
            for comment in [thread, *thread.thread_replies]:  # type: ignore[attr-defined]
                if not comment.is_deleted:
                    count += 1
                comment.is_outdated = comment.section_version < section.version  # type: ignore[attr-defined]
                comment.diff_url = _diff_url(  # type: ignore[attr-defined]
                    design_id=design.pk,
                    key=section.key,
                    from_version=comment.section_version,
                    to_version=section.version,
                )
                comment.can_change = (  # type: ignore[attr-defined]
                    comment.author_id == viewer.pk and not comment.is_deleted
                )
            if thread.issue_status == Comment.IssueStatus.OPEN:
                open_issues += 1
            thread.issue_moves = rules.issue_moves_for(  # type: ignore[attr-defined]
                comment=thread, user=viewer, is_member=is_member
            )
            thread.can_resolve = (  # type: ignore[attr-defined]
                rules.resolve_refusal(comment=thread, user=viewer, is_member=is_member) is None
            )
        section.review_threads = section_threads  # type: ignore[attr-defined]
        section.comment_count = count  # type: ignore[attr-defined]
        section.open_issue_count = open_issues  # type: ignore[attr-defined]


# The design page ---------------------------------------------------------------------------


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
    open_issues: list[tuple[Section, Comment]]
    my_request: ReviewRequest | None
    my_verdict: Verdict | None
    changed_since_my_verdict: list[ChangedSection] = field(default_factory=list)

    @property
    def open_issue_count(self) -> int:
        return len(self.open_issues)

    @property
    def open_issues_by_section(self) -> list[tuple[Section, list[Comment]]]:
        grouped: dict[int, tuple[Section, list[Comment]]] = {}
        for section, comment in self.open_issues:
            grouped.setdefault(section.pk, (section, []))[1].append(comment)
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
                    diff_url=_diff_url(
                        design_id=verdict.design_id,
                        key=section.key,
                        from_version=then,
                        to_version=section.version,
                    ),
                )
            )
    return changed


def design_review(
    *, design: Design, sections: list[Section], viewer: User, is_member: bool
) -> DesignReview:
    """Everything reviews shows on the design page, threads attached to ``sections``.

    Five queries whatever the number of sections, comments and verdicts.
    """
    threads_attach(design=design, sections=sections, viewer=viewer, is_member=is_member)
    requests = list(
        ReviewRequest.objects.filter(design=design)
        .select_related("reviewer", "requested_by")
        .order_by("created_at", "pk")
    )
    latest = latest_verdicts(Verdict.objects.filter(design=design).select_related("reviewer"))
    members = [
        m.user
        for m in Membership.objects.filter(team_id=design.team_id)
        .select_related("user")
        .order_by("user__username")
    ]
    member_ids = {m.pk for m in members}
    open_issues = [
        (section, thread)
        for section in sections
        for thread in section.review_threads  # type: ignore[attr-defined]
        if thread.issue_status == Comment.IssueStatus.OPEN
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
    )


# The dashboard -----------------------------------------------------------------------------


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
    """Designs of ``fetched_by``'s teams that have open issues, most issues first. One query."""
    teams = Membership.objects.filter(user=fetched_by).values("team_id")
    return list(
        Design.objects.filter(team_id__in=teams)
        .annotate(
            open_issue_count=Count("comments", filter=Q(comments__issue_status="open")),
        )
        .filter(open_issue_count__gt=0)
        .select_related("team")
        .order_by("-open_issue_count", "-last_edited_at")[:limit]
    )


# Notifications -----------------------------------------------------------------------------


def notification_list(*, fetched_by: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=fetched_by).select_related(
        "actor", "design", "section"
    )


def notification_unread_count(*, user: User) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_settings_for(*, user: User) -> NotificationSettings | None:
    return NotificationSettings.objects.filter(user=user).first()


def notification_get_for(user: User, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification


# The review record (for exports) ----------------------------------------------------------


@dataclass(frozen=True)
class IssueChangeRecord:
    from_status: str
    to_status: str
    changed_by: str
    changed_at: datetime


@dataclass(frozen=True)
class CommentRecord:
    id: int
    author: str
    body: str  # Markdown as written; empty when deleted
    body_html: str
    created_at: datetime
    edited: bool
    deleted: bool
    section_version: int
    outdated: bool
    issue_status: str  # "", "open", "fixed", "dropped"
    resolved: bool
    replies: list["CommentRecord"] = field(default_factory=list)
    issue_changes: list[IssueChangeRecord] = field(default_factory=list)


@dataclass(frozen=True)
class IssueRecord:
    comment_id: int
    section_key: str
    section_title: str
    raised_by: str
    raised_at: datetime
    status: str
    body: str
    changes: list[IssueChangeRecord] = field(default_factory=list)


@dataclass(frozen=True)
class VerdictRecord:
    reviewer: str
    kind: str  # "approve", "request_changes", "comment"
    kind_label: str
    summary: str
    given_at: datetime
    stale: bool
    revision: dict[str, int]


@dataclass(frozen=True)
class ReviewerRecord:
    username: str
    display_name: str
    requested_by: str
    requested_at: datetime
    latest_verdict: VerdictRecord | None


@dataclass(frozen=True)
class SectionReviewRecord:
    key: str
    title: str
    position: int
    version: int
    threads: list[CommentRecord]
    issues: list[IssueRecord]


@dataclass(frozen=True)
class ReviewRecord:
    design_id: int
    status: str
    reviewers: list[ReviewerRecord]
    verdicts: list[VerdictRecord]  # every verdict, oldest first
    sections: list[SectionReviewRecord]  # every section in order

    @property
    def issues(self) -> list[IssueRecord]:
        return [issue for section in self.sections for issue in section.issues]

    @property
    def open_issue_count(self) -> int:
        return sum(1 for issue in self.issues if issue.status == Comment.IssueStatus.OPEN)


def _change_records(comment: Comment) -> list[IssueChangeRecord]:
    return [
        IssueChangeRecord(
            from_status=c.from_status,
            to_status=c.to_status,
            changed_by=c.changed_by.username,
            changed_at=c.created_at,
        )
        for c in comment.changes  # type: ignore[attr-defined]
    ]


def _comment_record(comment: Comment, section: Section) -> CommentRecord:
    return CommentRecord(
        id=comment.pk,
        author=comment.author.username,
        body="" if comment.is_deleted else comment.body,
        body_html="" if comment.is_deleted else comment.body_html,
        created_at=comment.created_at,
        edited=comment.edited_at is not None,
        deleted=comment.is_deleted,
        section_version=comment.section_version,
        outdated=comment.section_version < section.version,
        issue_status=comment.issue_status,
        resolved=comment.resolved_at is not None,
        replies=[
            _comment_record(reply, section)
            for reply in comment.thread_replies  # type: ignore[attr-defined]
        ],
        issue_changes=_change_records(comment),
    )


def _verdict_record(verdict: Verdict) -> VerdictRecord:
    return VerdictRecord(
        reviewer=verdict.reviewer.username,
        kind=verdict.kind,
        kind_label=verdict.get_kind_display(),
        summary=verdict.summary,
        given_at=verdict.created_at,
        stale=verdict.is_stale,
        revision={str(k): int(v) for k, v in verdict.revision.items()},
    )


def review_record(*, design: Design) -> ReviewRecord:
    """The whole review of ``design`` as plain data: reviewers with their latest verdicts,
    every verdict, and per section its threads and its issue ledger (who raised each issue,
    its status and every status change). The caller checks access. Six queries."""
    sections = list(design.sections.order_by("position"))
    threads = _load_threads(design=design, sections=sections)
    verdicts = list(
        Verdict.objects.filter(design=design).select_related("reviewer").order_by("created_at")
    )
    latest = latest_verdicts(verdicts)
    requests = ReviewRequest.objects.filter(design=design).select_related(
        "reviewer", "requested_by"
    )
    section_records = []
    for section in sections:
        section_threads = threads.get(section.pk, [])
        section_records.append(
            SectionReviewRecord(
                key=section.key,
                title=section.title,
                position=section.position,
                version=section.version,
                threads=[_comment_record(t, section) for t in section_threads],
                issues=[
                    IssueRecord(
                        comment_id=t.pk,
                        section_key=section.key,
                        section_title=section.title,
                        raised_by=t.author.username,
                        raised_at=t.created_at,
                        status=t.issue_status,
                        body="" if t.is_deleted else t.body,
                        changes=_change_records(t),
                    )
                    for t in section_threads
                    if t.issue_status
                ],
            )
        )
    return ReviewRecord(
        design_id=design.pk,
        status=design.status,
        reviewers=[
            ReviewerRecord(
                username=r.reviewer.username,
                display_name=r.reviewer.display_name,
                requested_by=r.requested_by.username,
                requested_at=r.requested_at,
                latest_verdict=(
                    _verdict_record(latest[r.reviewer_id]) if r.reviewer_id in latest else None
                ),
            )
            for r in requests.order_by("created_at", "pk")
        ],
        verdicts=[_verdict_record(v) for v in verdicts],
        sections=section_records,
    )
