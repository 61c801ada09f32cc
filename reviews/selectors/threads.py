"""Comment threads attached to sections, loaded in two queries."""

from collections import defaultdict

from django.urls import reverse

from accounts.models import User
from designs.models import Design, Section
from reviews import rules
from reviews.models import (
    Comment,
    IssueChange,
)


def load_threads(*, design: Design, sections: list[Section]) -> dict[int, list[Comment]]:
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
        section_threads = threads.get(section.pk, [])
        count = 0
        open_issues = 0
        for thread in section_threads:
            for comment in [thread, *thread.thread_replies]:  # type: ignore[attr-defined]
                if not comment.is_deleted:
                    count += 1
                comment.is_outdated = comment.section_version < section.version  # type: ignore[attr-defined]
                comment.diff_url = diff_url(  # type: ignore[attr-defined]
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
