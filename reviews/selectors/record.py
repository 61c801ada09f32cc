"""The whole review of a design as plain data, for exports and the API."""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AnonymousUser

from designs.models import Design, Section
from reviews.models import (
    Comment,
    ReviewRequest,
    SectionSignoff,
    Verdict,
)
from reviews.selectors.page import latest_verdicts
from reviews.selectors.rounds import review_rounds
from reviews.selectors.signoffs import design_signoffs
from reviews.selectors.threads import load_threads


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
    round: int | None = None  # the review round it was given in


@dataclass(frozen=True)
class RoundRecord:
    number: int
    started_by: str
    started_at: datetime
    verdicts: list[VerdictRecord]  # each reviewer's latest verdict in the round
    waiting: list[str] = field(default_factory=list)  # the current round: yet to answer


@dataclass(frozen=True)
class ReviewerRecord:
    username: str
    display_name: str
    requested_by: str
    requested_at: datetime
    latest_verdict: VerdictRecord | None


@dataclass(frozen=True)
class SignoffRecord:
    """One sign-off as given, and what became of it."""

    user: str
    role: str  # the role signed for; "" in one's own name
    version: int
    given_at: datetime
    status: str  # "valid", "reset" (by an edit) or "withdrawn"


@dataclass(frozen=True)
class RequiredSignoffRecord:
    who: str  # a username, or "any <role>"
    state: str  # "given", "missing" or "reset"


@dataclass(frozen=True)
class SectionReviewRecord:
    key: str
    title: str
    position: int
    version: int
    threads: list[CommentRecord]
    issues: list[IssueRecord]
    owner: str = ""
    required_signoffs: list[RequiredSignoffRecord] = field(default_factory=list)
    signoffs: list[SignoffRecord] = field(default_factory=list)  # oldest first


@dataclass(frozen=True)
class ReviewRecord:
    design_id: int
    status: str
    reviewers: list[ReviewerRecord]
    verdicts: list[VerdictRecord]  # every verdict, oldest first
    sections: list[SectionReviewRecord]  # every section in order
    rounds: list[RoundRecord] = field(default_factory=list)  # newest first

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


def _verdict_record(verdict: Verdict, rounds: dict[int, int] | None = None) -> VerdictRecord:
    return VerdictRecord(
        reviewer=verdict.reviewer.username,
        kind=verdict.kind,
        kind_label=verdict.get_kind_display(),
        summary=verdict.summary,
        given_at=verdict.created_at,
        stale=verdict.is_stale,
        revision={str(k): int(v) for k, v in verdict.revision.items()},
        round=rounds.get(verdict.round_id) if rounds and verdict.round_id else None,
    )


def review_record(*, design: Design) -> ReviewRecord:
    """The whole review of ``design`` as plain data: reviewers with their latest verdicts,
    every verdict, and per section its threads, its issue ledger (who raised each issue,
    its status and every status change), its owner, required sign-offs and every sign-off
    given, and the review rounds with each reviewer's verdict in them. The caller checks
    access. Nine queries."""
    sections = list(design.sections.order_by("position"))
    threads = load_threads(design=design, sections=sections)
    verdicts = list(
        Verdict.objects.filter(design=design).select_related("reviewer").order_by("created_at")
    )
    latest = latest_verdicts(verdicts)
    requests = list(
        ReviewRequest.objects.filter(design=design)
        .select_related("reviewer", "requested_by")
        .order_by("created_at", "pk")
    )
    signoff_states = {
        state.section.pk: state
        for state in design_signoffs(
            design=design,
            sections=sections,
            viewer=AnonymousUser(),  # type: ignore[arg-type]
        ).sections
    }
    given: dict[int, list[SignoffRecord]] = {}
    for signoff in SectionSignoff.objects.filter(design=design).select_related("user"):
        status = "withdrawn" if signoff.withdrawn_at else "reset" if signoff.reset_at else "valid"
        given.setdefault(signoff.section_id, []).append(
            SignoffRecord(
                user=signoff.user.username,
                role=signoff.role_name,
                version=signoff.version,
                given_at=signoff.created_at,
                status=status,
            )
        )
    round_rows = review_rounds(design=design, verdicts=verdicts, requests=requests)
    numbers = {row.round.pk: row.round.number for row in round_rows}
    section_records = []
    for section in sections:
        section_threads = threads.get(section.pk, [])
        state = signoff_states[section.pk]
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
                owner=state.owner.username if state.owner else "",
                required_signoffs=[
                    RequiredSignoffRecord(who=row.label, state=row.state) for row in state.rows
                ],
                signoffs=given.get(section.pk, []),
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
            for r in requests
        ],
        verdicts=[_verdict_record(v, numbers) for v in verdicts],
        sections=section_records,
        rounds=[
            RoundRecord(
                number=row.round.number,
                started_by=row.round.started_by.username,
                started_at=row.round.started_at,
                verdicts=[_verdict_record(v, numbers) for v in row.verdicts],
                waiting=[u.username for u in row.waiting],
            )
            for row in round_rows
        ],
    )
