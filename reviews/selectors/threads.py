"""Comment threads attached to sections, loaded in two queries, and what the design page
needs to know about them without loading them: counts, open issues and a stamp."""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist
from django.db.models.functions import Substr
from django.urls import reverse

from accounts.models import User
from designs.models import Design, Section
from reviews import rules
from reviews.models import (
    Comment,
    CommentAnchor,
    IssueChange,
    Suggestion,
)
from reviews.selectors.suggestions import suggestion_diff


def load_threads(*, design: Design, sections: list[Section]) -> dict[int, list[Comment]]:
    """Top-level comments per section id, each with ``thread_replies`` and ``changes``.

    Two queries whatever the number of comments.
    """
    section_ids = [s.pk for s in sections]
    comments = list(
        Comment.objects.filter(design=design, section_id__in=section_ids)
        .select_related(
            "author", "resolved_by", "round", "anchor", "suggestion", "suggestion__decided_by"
        )
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
        comment.passage = passage_of(comment)  # type: ignore[attr-defined]
        comment.suggested = suggestion_of(comment)  # type: ignore[attr-defined]
    for comment in comments:
        if comment.parent_id:
            parent = by_id.get(comment.parent_id)
            if parent is not None:
                parent.thread_replies.append(comment)  # type: ignore[attr-defined]
        else:
            threads[comment.section_id].append(comment)
    return threads


def passage_of(comment: Comment) -> CommentAnchor | None:
    """The comment's anchor, as ``select_related("anchor")`` loaded it (None: none)."""
    try:
        return comment.anchor
    except ObjectDoesNotExist:
        return None


def suggestion_of(comment: Comment) -> Suggestion | None:
    """The comment's suggestion, as ``select_related("suggestion")`` loaded it."""
    try:
        return comment.suggestion
    except ObjectDoesNotExist:
        return None


@dataclass(frozen=True)
class OpenIssue:
    pk: int
    author_name: str
    excerpt: str  # the body's first 61 characters: enough to shorten it to 60


@dataclass
class ThreadsState:
    """A section's threads in brief. ``stamp`` changes whenever a comment in the section is
    added, changed (edited, deleted, resolved, its issue moved) or removed: every write to a
    thread saves the thread's comment rows with a new ``updated_at``."""

    comment_count: int = 0
    open_issues: list[OpenIssue] = field(default_factory=list)
    author_ids: set[int] = field(default_factory=set)
    stamp: str = ""

    @property
    def open_issue_count(self) -> int:
        return len(self.open_issues)


def threads_state_attach(*, design: Design, sections: list[Section]) -> None:
    """Attach ``threads_state``, ``comment_count`` and ``open_issue_count`` to each section.

    One query over the design's comment rows (no bodies, no rendering), whatever their number.
    """
    states = {s.pk: ThreadsState() for s in sections}
    changes: dict[int, list[str]] = defaultdict(list)
    rows = (
        Comment.objects.filter(design=design, section_id__in=list(states))
        .order_by("created_at", "pk")
        .values_list(
            "section_id",
            "pk",
            "parent_id",
            "author_id",
            "author__username",
            "updated_at",
            "deleted_at",
            "issue_status",
            Substr("body", 1, 61),
        )
    )
    for (
        section_id,
        pk,
        parent_id,
        author_id,
        username,
        updated_at,
        deleted_at,
        status,
        start,
    ) in rows:
        state = states[section_id]
        changes[section_id].append(f"{pk}@{updated_at.isoformat()}")
        state.author_ids.add(author_id)
        if deleted_at is None:
            state.comment_count += 1
        if parent_id is None and status == Comment.IssueStatus.OPEN:
            state.open_issues.append(OpenIssue(pk=pk, author_name=username, excerpt=start))
    for section in sections:
        state = states[section.pk]
        if changes[section.pk]:
            digest = hashlib.blake2b(" ".join(changes[section.pk]).encode(), digest_size=12)
            state.stamp = digest.hexdigest()
        section.threads_state = state  # type: ignore[attr-defined]
        section.comment_count = state.comment_count  # type: ignore[attr-defined]
        section.open_issue_count = state.open_issue_count  # type: ignore[attr-defined]


def diff_url(*, design_id: int, key: str, from_version: int, to_version: int) -> str:
    base = reverse("designs:section_diff", args=[design_id, key])
    return f"{base}?from={from_version}&to={to_version}"


def threads_attach(
    *, design: Design, sections: list[Section], viewer: User, is_member: bool
) -> None:
    """Attach each section's threads (``review_threads``), its comment and open issue
    counts, and what the viewer may do on each comment. Two queries."""
    threads = load_threads(design=design, sections=sections)
    for section in sections:
        threads_decorate(
            design=design,
            section=section,
            threads=threads.get(section.pk, []),
            viewer=viewer,
            is_member=is_member,
        )


def threads_decorate(
    *, design: Design, section: Section, threads: list[Comment], viewer: User, is_member: bool
) -> None:
    """Attach ``threads`` to ``section`` as ``review_threads`` with the counts, and mark on
    each comment whether it is outdated and what ``viewer`` may do with it. No queries."""
    count = 0
    open_issues = 0
    diff_base = reverse("designs:section_diff", args=[design.pk, section.key])
    for thread in threads:
        for comment in [thread, *thread.thread_replies]:  # type: ignore[attr-defined]
            if not comment.is_deleted:
                count += 1
            comment.is_outdated = comment.section_version < section.version  # type: ignore[attr-defined]
            comment.diff_url = (  # type: ignore[attr-defined]
                f"{diff_base}?from={comment.section_version}&to={section.version}"
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
        suggested = getattr(thread, "suggested", None)
        if suggested is not None:
            passage = thread.passage  # type: ignore[attr-defined]
            anchored = passage is not None and not passage.is_removed and suggested.is_open
            suggested.diff = suggestion_diff(  # type: ignore[attr-defined]
                suggested,
                current=passage.exact
                if anchored
                else (section.body if suggested.whole_section and suggested.is_open else None),
            )
            suggested.can_decide = is_member and suggested.is_open  # type: ignore[attr-defined]
            suggested.error_key = f"suggestion-{thread.pk}"  # type: ignore[attr-defined]
    section.review_threads = threads  # type: ignore[attr-defined]
    section.comment_count = count  # type: ignore[attr-defined]
    section.open_issue_count = open_issues  # type: ignore[attr-defined]
