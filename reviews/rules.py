"""Who may do what in a review. Pure functions on rows already loaded: services enforce
them, selectors use them to show only the buttons that will work."""

from django.core.exceptions import ValidationError

from accounts.models import User
from reviews.models import Comment

Status = Comment.IssueStatus

# Allowed moves: open -> fixed | dropped, and fixed | dropped -> open (reopen).
ISSUE_MOVES: dict[str, tuple[str, ...]] = {
    Status.OPEN: (Status.FIXED, Status.DROPPED),
    Status.FIXED: (Status.OPEN,),
    Status.DROPPED: (Status.OPEN,),
}

ISSUE_VERBS = {Status.FIXED: "mark fixed", Status.DROPPED: "drop", Status.OPEN: "reopen"}


def issue_move_refusal(
    *, comment: Comment, to_status: str, user: User, is_member: bool
) -> tuple[str, str] | None:
    """Why ``user`` may not move the issue to ``to_status``, or None if they may.

    Returns ("invalid", reason) for a move the issue model does not have and
    ("forbidden", reason) for a move this user is not allowed to make.

    - authors (the design's team members) mark an issue fixed;
    - the reviewer who raised it, or the authors, may drop it;
    - only those people can reopen it.
    """
    if not comment.issue_status:
        return ("invalid", "This comment is not an issue.")
    if to_status not in ISSUE_VERBS:
        return ("invalid", f"Unknown issue status “{to_status}”.")
    if to_status == comment.issue_status:
        return ("invalid", f"The issue is already {comment.get_issue_status_display().lower()}.")
    if to_status not in ISSUE_MOVES[comment.issue_status]:
        current = comment.get_issue_status_display().lower()
        return ("invalid", f"A {current} issue can only be reopened, not moved to {to_status}.")
    is_raiser = comment.author_id == user.pk
    if to_status == Status.FIXED and not is_member:
        return ("forbidden", "Only the design's authors can mark an issue fixed.")
    if to_status == Status.DROPPED and not (is_member or is_raiser):
        return ("forbidden", "Only the reviewer who raised the issue or the authors can drop it.")
    if to_status == Status.OPEN and not (is_member or is_raiser):
        return (
            "forbidden",
            "Only the reviewer who raised the issue or the authors can reopen it.",
        )
    return None


def issue_moves_for(*, comment: Comment, user: User, is_member: bool) -> list[str]:
    if not comment.issue_status or comment.parent_id:
        return []
    return [
        to
        for to in ISSUE_MOVES[comment.issue_status]
        if issue_move_refusal(comment=comment, to_status=to, user=user, is_member=is_member) is None
    ]


def resolve_refusal(*, comment: Comment, user: User, is_member: bool) -> tuple[str, str] | None:
    """Plain threads are resolved by their starter or the design's authors."""
    if comment.parent_id:
        return ("invalid", "Only a whole thread can be resolved; resolve its first comment.")
    if comment.issue_status:
        return ("invalid", "Issues are closed by marking them fixed or dropped, not resolved.")
    if not (is_member or comment.author_id == user.pk):
        return (
            "forbidden",
            "Only the person who started the thread or the authors can resolve it.",
        )
    return None


def raise_refusal(kind: str, reason: str) -> None:
    """Turn a refusal into the exception services raise."""
    if kind == "forbidden":
        raise PermissionError(reason)
    raise ValidationError(reason)
