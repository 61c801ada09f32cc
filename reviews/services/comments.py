"""Comments, replies, issues and resolved threads."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from designs.models import Section
from reviews import rules
from reviews.models import (
    Comment,
    IssueChange,
    Notification,
    Suggestion,
)
from reviews.services._common import (
    Kind,
    clean_body,
    comment_allowance_take,
    notify,
    quote,
    render_body,
    require_reader,
    team_member_ids,
    thread_participant_ids,
)
from reviews.services.passages import (
    PassageInput,
    anchor_create,
    passage_find,
    suggestion_text_clean,
)
from reviews.services.rounds import current_round
from reviews.services.status import design_review_status_refresh
from reviews.signals import comment_posted, issue_moved, threads_changed


def _threads_changed(section: Section) -> None:
    threads_changed.send(sender=Comment, design_id=section.design_id, section_key=section.key)


def _mentions_already_notified(*, comment: Comment, user_ids: set[int]) -> set[int]:
    """Those of ``user_ids`` already told they are mentioned in ``comment``."""
    if not user_ids:
        return set()
    return set(
        Notification.objects.filter(
            comment=comment, kind=Kind.MENTION, recipient_id__in=user_ids
        ).values_list("recipient_id", flat=True)
    )


def _comment_notifications(
    *, comment: Comment, mentioned: list[User], is_edit: bool = False
) -> None:
    """Mentions first; everyone else interested hears of a new comment or reply once.

    A person hears of a mention in a given comment at most once, ever: taking a mention
    out and putting it back by editing notifies nobody again (the database holds this with
    a unique constraint too)."""
    design, section = comment.design, comment.section
    mention_ids = {u.pk for u in mentioned}
    if is_edit:
        mention_ids -= _mentions_already_notified(comment=comment, user_ids=mention_ids)
    notify(
        recipient_ids=mention_ids,
        kind=Kind.MENTION,
        actor=comment.author,
        design=design,
        section=section,
        comment=comment,
        text=(
            f"{comment.author.username} mentioned you on {quote(section.title)} "
            f"in {quote(design.title)}"
        ),
        excerpt=comment.body,
    )
    if is_edit:  # an edit only notifies people newly mentioned
        return
    interested = team_member_ids(design)
    if comment.parent_id:
        interested |= thread_participant_ids(comment.parent)  # type: ignore[arg-type]
        kind, verb = Kind.REPLY, "replied"
    else:
        kind, verb = Kind.COMMENT, "raised an issue" if comment.issue_status else "commented"
    notify(
        recipient_ids=interested - mention_ids,
        kind=kind,
        actor=comment.author,
        design=design,
        section=section,
        comment=comment,
        text=f"{comment.author.username} {verb} on {quote(section.title)} in {quote(design.title)}",
        excerpt=comment.body,
    )


@transaction.atomic
def comment_add(
    *,
    section: Section,
    author: User,
    body: str,
    raise_issue: bool = False,
    passage: PassageInput | None = None,
    replacement: str | None = None,
) -> Comment:
    """Start a thread on ``section``; with ``raise_issue`` the comment is an open issue.

    With ``passage`` the thread is about that passage of the section's text (found in the
    text as it is now, and kept anchored to it through later saves). With ``replacement``
    the thread suggests an edit: that text in place of the passage, or of the whole section
    without one (the comment's body may then be empty).

    Records the section's current version, renders the Markdown (mentions linked for people
    who can see the design), notifies the authors and anyone mentioned, and for an issue
    recomputes the design's status. Atomic. Raises PermissionError if ``author`` cannot see
    the design, ValidationError for an empty or oversized body, a passage not in the text or
    a suggestion that changes nothing.
    """
    design = section.design
    require_reader(design=design, user=author)
    body = clean_body(body, required=replacement is None)
    comment_allowance_take(user=author)
    body_html, mentioned = render_body(body=body, design=design) if body else ("", [])
    current_version, current_body = Section.objects.values_list("version", "body").get(
        pk=section.pk
    )
    quote = passage_find(body=current_body, passage=passage) if passage is not None else None
    if replacement is not None:
        replacement = suggestion_text_clean(
            replacement, original=quote.exact if quote is not None else current_body
        )
    comment = Comment.objects.create(
        design=design,
        section=section,
        author=author,
        body=body,
        body_html=body_html,
        section_version=current_version,
        round=current_round(design=design),
        issue_status=Comment.IssueStatus.OPEN if raise_issue else Comment.IssueStatus.NONE,
    )
    if quote is not None:
        anchor_create(comment=comment, section=section, quote=quote, version=current_version)
    if replacement is not None:
        Suggestion.objects.create(
            comment=comment,
            design=design,
            section=section,
            whole_section=quote is None,
            original=quote.exact if quote is not None else current_body,
            replacement=replacement,
            start=quote.start if quote is not None else 0,
            end=quote.end if quote is not None else len(current_body),
            base_version=current_version,
            base_body=current_body,
        )
    if raise_issue:
        IssueChange.objects.create(
            comment=comment, from_status="", to_status=Comment.IssueStatus.OPEN, changed_by=author
        )
        design_review_status_refresh(design=design)
    _comment_notifications(comment=comment, mentioned=mentioned)
    _threads_changed(section)
    comment_posted.send(sender=Comment, comment=comment)
    return comment


@transaction.atomic
def comment_reply(*, parent: Comment, author: User, body: str) -> Comment:
    """Reply to a thread. Threads are one level deep: replying to a reply is refused with
    ValidationError. Notifies the authors, the people in the thread and anyone mentioned.
    Atomic. Raises PermissionError if ``author`` cannot see the design."""
    if parent.parent_id is not None:
        raise ValidationError("Replies are one level deep: reply to the thread's first comment.")
    design = parent.design
    require_reader(design=design, user=author)
    body = clean_body(body)
    comment_allowance_take(user=author)
    body_html, mentioned = render_body(body=body, design=design)
    section = parent.section
    current_version = Section.objects.values_list("version", flat=True).get(pk=section.pk)
    reply = Comment.objects.create(
        design=design,
        section=section,
        parent=parent,
        author=author,
        body=body,
        body_html=body_html,
        section_version=current_version,
        round=current_round(design=design),
    )
    _comment_notifications(comment=reply, mentioned=mentioned)
    _threads_changed(section)
    comment_posted.send(sender=Comment, comment=reply)
    return reply


def _require_author(comment: Comment, user: User, verb: str) -> None:
    if comment.author_id != user.pk:
        raise PermissionError(f"Only the comment's author can {verb} it.")
    if comment.is_deleted:
        raise ValidationError("This comment was deleted.")


@transaction.atomic
def comment_edit(*, comment: Comment, edited_by: User, body: str) -> Comment:
    """Change a comment's text; it is marked edited. Only its author may (PermissionError).
    People mentioned for the first time are notified, each at most once per comment however
    often the mention is removed and put back. Atomic; the comment row is locked so two
    edits cannot both notify the same person."""
    _require_author(comment, edited_by, "edit")
    require_reader(design=comment.design, user=edited_by)
    body = clean_body(body)
    Comment.objects.select_for_update().filter(pk=comment.pk).values_list("pk").first()
    if body == comment.body:
        return comment
    before = {u.pk for u in render_body(body=comment.body, design=comment.design)[1]}
    body_html, mentioned = render_body(body=body, design=comment.design)
    comment.body = body
    comment.body_html = body_html
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "body_html", "edited_at", "updated_at"])
    new_mentions = [u for u in mentioned if u.pk not in before]
    if new_mentions:
        _comment_notifications(comment=comment, mentioned=new_mentions, is_edit=True)
    _threads_changed(comment.section)
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, deleted_by: User) -> Comment | None:
    """Delete a comment. Only its author may (PermissionError). A thread start that has
    replies stays as a tombstone (text gone, replies kept) and is returned; otherwise the
    row is removed and None returned. The design's status is recomputed. Atomic."""
    _require_author(comment, deleted_by, "delete")
    design = comment.design
    if comment.parent_id is None and Comment.objects.filter(parent=comment).exists():
        comment.body = ""
        comment.body_html = ""
        comment.deleted_at = timezone.now()
        comment.save(update_fields=["body", "body_html", "deleted_at", "updated_at"])
        result: Comment | None = comment
    else:
        comment.delete()
        result = None
    design_review_status_refresh(design=design)
    _threads_changed(comment.section)
    return result


@transaction.atomic
def issue_status_change(*, comment: Comment, to_status: str, changed_by: User) -> Comment:
    """Move an issue: open -> fixed (authors), open -> dropped (the raiser or the authors),
    fixed or dropped -> open (the raiser or the authors). The change is recorded with who
    and when, the people in the thread and the authors are notified, and the design's
    status is recomputed. Atomic; the comment row is locked so two people cannot both move
    it from the same state.

    Raises ValidationError for a move that does not exist (e.g. fixed -> dropped) and
    PermissionError for a move this user may not make.
    """
    is_member = require_reader(design=comment.design, user=changed_by)
    locked = Comment.objects.select_for_update().get(pk=comment.pk)
    refusal = rules.issue_move_refusal(
        comment=locked, to_status=to_status, user=changed_by, is_member=is_member
    )
    if refusal:
        rules.raise_refusal(*refusal)
    from_status = locked.issue_status
    Comment.objects.filter(pk=locked.pk).update(issue_status=to_status, updated_at=timezone.now())
    comment.issue_status = to_status
    IssueChange.objects.create(
        comment=comment, from_status=from_status, to_status=to_status, changed_by=changed_by
    )
    design_review_status_refresh(design=comment.design)
    did = {
        "fixed": "marked an issue fixed",
        "dropped": "dropped an issue",
        "open": "reopened an issue",
    }[to_status]
    notify(
        recipient_ids=team_member_ids(comment.design) | thread_participant_ids(comment),
        kind=Kind.ISSUE_CHANGED,
        actor=changed_by,
        design=comment.design,
        section=comment.section,
        comment=comment,
        text=f"{changed_by.username} {did} on {quote(comment.section.title)} in "
        f"{quote(comment.design.title)}",
        excerpt=comment.body,
    )
    _threads_changed(comment.section)
    issue_moved.send(
        sender=Comment,
        comment=comment,
        from_status=from_status,
        to_status=to_status,
        changed_by=changed_by,
    )
    return comment


@transaction.atomic
def thread_resolve(*, comment: Comment, resolved_by: User, resolved: bool = True) -> Comment:
    """Resolve (collapse) or unresolve a plain discussion thread. The thread's starter or
    the authors may (PermissionError otherwise); issues and replies are refused with
    ValidationError. Idempotent. Atomic."""
    is_member = require_reader(design=comment.design, user=resolved_by)
    refusal = rules.resolve_refusal(comment=comment, user=resolved_by, is_member=is_member)
    if refusal:
        rules.raise_refusal(*refusal)
    if resolved and comment.resolved_at is None:
        comment.resolved_at = timezone.now()
        comment.resolved_by = resolved_by
    elif not resolved:
        comment.resolved_at = None
        comment.resolved_by = None
    comment.save(update_fields=["resolved_at", "resolved_by", "updated_at"])
    _threads_changed(comment.section)
    return comment
