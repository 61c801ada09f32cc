"""Writes for reviews: review requests, comments and issues, verdicts, notifications.

Every service is keyword-only and atomic. Bad input raises ValidationError; an action the
user may not take raises PermissionError with a message that can be shown as it is.
"""

import logging
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Membership, User
from designs import services as design_services
from designs.markdown import render_markdown
from designs.models import Design, DesignReader, Section
from reviews import rules
from reviews.mentions import link_mentions, mentioned_names
from reviews.models import (
    Comment,
    IssueChange,
    Notification,
    NotificationSettings,
    ReviewRequest,
    Verdict,
)
from reviews.selectors import latest_verdicts

logger = logging.getLogger(__name__)

Kind = Notification.Kind


# Helpers -----------------------------------------------------------------------------------


def _is_member(*, design: Design, user: User) -> bool:
    return Membership.objects.filter(team_id=design.team_id, user=user).exists()


def _access(*, design: Design, user: User) -> tuple[bool, bool]:
    """(is team member, may read the design)."""
    if Membership.objects.filter(team_id=design.team_id, user=user).exists():
        return True, True
    return False, DesignReader.objects.filter(design=design, user=user).exists()


def _require_reader(*, design: Design, user: User) -> bool:
    """Raise PermissionError unless ``user`` can see the design; return whether a member."""
    is_member, can_read = _access(design=design, user=user)
    if not can_read:
        raise PermissionError("You do not have access to this design.")
    return is_member


def _clean_body(body: str, *, field: str = "body", required: bool = True) -> str:
    body = body.replace("\r\n", "\n").strip()
    if required and not body:
        raise ValidationError({field: "Write something first."})
    limit = settings.CRIT_COMMENT_BODY_MAX_BYTES
    size = len(body.encode("utf-8"))
    if size > limit:
        raise ValidationError({field: f"This text is {size:,} bytes; the limit is {limit:,}."})
    bad = [ch for ch in body if (ord(ch) < 32 and ch not in "\t\n") or ord(ch) == 0x7F]
    if bad:
        raise ValidationError({field: f"Control character U+{ord(bad[0]):04X} is not allowed."})
    return body


def _section_url(section: Section) -> str:
    return f"{section.design.get_absolute_url()}#section-{section.key}"


def _render_body(*, body: str, design: Design) -> tuple[str, list[User]]:
    """Sanitised HTML with mentions linked, and the mentioned users who can see the design.

    Mentions of people who cannot see the design stay plain text.
    """
    rendered = render_markdown(body)
    names = mentioned_names(rendered)
    if not names:
        return rendered, []
    candidates: list[User] = list(
        User.objects.annotate(lower_name=Lower("username")).filter(
            lower_name__in=names, is_active=True
        )
    )
    visible_ids = set(
        User.objects.filter(pk__in=[u.pk for u in candidates])
        .filter(Q(memberships__team_id=design.team_id) | Q(design_grants__design_id=design.pk))
        .values_list("pk", flat=True)
    )
    visible = [u for u in candidates if u.pk in visible_ids]
    links = {
        u.username.lower(): (
            u.username,
            f"{design.get_absolute_url()}#person-{u.username}",
            u.display_name,
        )
        for u in visible
    }
    return link_mentions(rendered, links=links), visible


def _team_member_ids(design: Design) -> set[int]:
    return set(Membership.objects.filter(team_id=design.team_id).values_list("user_id", flat=True))


def _thread_participant_ids(thread: Comment) -> set[int]:
    ids = {thread.author_id}
    ids.update(Comment.objects.filter(parent=thread).values_list("author_id", flat=True))
    return ids


def _excerpt(text: str, limit: int = 280) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _notify(
    *,
    recipient_ids: Iterable[int],
    kind: str,
    actor: User | None,
    design: Design,
    text: str,
    section: Section | None = None,
    comment: Comment | None = None,
    excerpt: str = "",
) -> list[Notification]:
    """Create in-app notifications (never for the actor) and email them after commit."""
    actor_id = actor.pk if actor else None
    ids = sorted({i for i in recipient_ids if i and i != actor_id})
    if not ids:
        return []
    url = _section_url(section) if section is not None else design.get_absolute_url()
    rows = Notification.objects.bulk_create(
        Notification(
            recipient_id=recipient_id,
            actor=actor,
            kind=kind,
            design=design,
            section=section,
            comment=comment,
            text=text[:300],
            excerpt=_excerpt(excerpt),
            url=url,
        )
        for recipient_id in ids
    )
    from reviews.tasks import notification_email  # tasks import services

    for row in rows:
        transaction.on_commit(partial(notification_email.delay, row.pk))
    return rows


def _quote(title: str) -> str:
    return f"“{title}”"


# Status ------------------------------------------------------------------------------------


def review_status_for(
    *, latest: Iterable[Verdict], has_open_issues: bool, has_reviewers: bool, current: str
) -> str:
    """The status rules, as a pure function.

    - no reviewer requested yet: the status stays as it is (a draft stays a draft);
    - "changes requested" while any reviewer's latest verdict is request changes;
    - "approved" when at least one latest verdict is a (not stale) approval, none requests
      changes and no issue is open;
    - otherwise "in review".
    """
    if not has_reviewers:
        return current
    latest = list(latest)
    if any(v.kind == Verdict.Kind.REQUEST_CHANGES for v in latest):
        return Design.Status.CHANGES_REQUESTED
    if not has_open_issues and any(
        v.kind == Verdict.Kind.APPROVE and not v.is_stale for v in latest
    ):
        return Design.Status.APPROVED
    return Design.Status.IN_REVIEW


@transaction.atomic
def design_review_status_refresh(*, design: Design) -> str:
    """Recompute the design's status from its reviewers, verdicts and open issues and store
    it through designs. Atomic; the design row is locked so concurrent reviews serialise.
    Returns the status."""
    locked = Design.objects.select_for_update().only("pk", "status").get(pk=design.pk)
    status = review_status_for(
        latest=latest_verdicts(Verdict.objects.filter(design_id=design.pk)).values(),
        has_open_issues=Comment.objects.filter(
            design_id=design.pk, issue_status=Comment.IssueStatus.OPEN
        ).exists(),
        has_reviewers=ReviewRequest.objects.filter(design_id=design.pk).exists(),
        current=locked.status,
    )
    if status != locked.status:
        design_services.design_status_set(design=design, status=status)
    design.status = status
    return status


# Review requests ---------------------------------------------------------------------------


@transaction.atomic
def review_request(
    *, design: Design, reviewer: User, requested_by: User, message: str = ""
) -> ReviewRequest:
    """Ask ``reviewer`` to review ``design``: they get read access (if not on the team), a
    notification, and the design leaves "draft" for "in review". Asking again re-notifies
    and puts the design back on their waiting list. Atomic.

    Raises PermissionError unless ``requested_by`` is on the design's team, ValidationError
    for an inactive reviewer, asking oneself, or a message that is too long.
    """
    if not _is_member(design=design, user=requested_by):
        raise PermissionError("Only members of the design's team can request reviews.")
    if not reviewer.is_active:
        raise ValidationError({"reviewer": "That account is not active."})
    if reviewer.pk == requested_by.pk:
        raise ValidationError({"reviewer": "You cannot review your own request; ask someone else."})
    message = _clean_body(message, field="message", required=False)
    if len(message) > 2000:
        raise ValidationError({"message": "Keep the message under 2,000 characters."})
    now = timezone.now()
    request, created = ReviewRequest.objects.get_or_create(
        design=design,
        reviewer=reviewer,
        defaults={"requested_by": requested_by, "message": message, "requested_at": now},
    )
    if not created:
        request.requested_by = requested_by
        request.message = message
        request.requested_at = now
        request.save(update_fields=["requested_by", "message", "requested_at", "updated_at"])
    if not _is_member(design=design, user=reviewer):
        design_services.design_reader_grant(design=design, user=reviewer)
    design_review_status_refresh(design=design)
    _notify(
        recipient_ids=[reviewer.pk],
        kind=Kind.REVIEW_REQUESTED,
        actor=requested_by,
        design=design,
        text=f"{requested_by.username} asked you to review {_quote(design.title)}",
        excerpt=message,
    )
    return request


# Comments ----------------------------------------------------------------------------------


def _comment_notifications(
    *, comment: Comment, mentioned: list[User], is_edit: bool = False
) -> None:
    """Mentions first; everyone else interested hears of a new comment or reply once."""
    design, section = comment.design, comment.section
    mention_ids = {u.pk for u in mentioned}
    _notify(
        recipient_ids=mention_ids,
        kind=Kind.MENTION,
        actor=comment.author,
        design=design,
        section=section,
        comment=comment,
        text=(
            f"{comment.author.username} mentioned you on {_quote(section.title)} "
            f"in {_quote(design.title)}"
        ),
        excerpt=comment.body,
    )
    if is_edit:  # an edit only notifies people newly mentioned
        return
    interested = _team_member_ids(design)
    if comment.parent_id:
        interested |= _thread_participant_ids(comment.parent)  # type: ignore[arg-type]
        kind, verb = Kind.REPLY, "replied"
    else:
        kind, verb = Kind.COMMENT, "raised an issue" if comment.issue_status else "commented"
    _notify(
        recipient_ids=interested - mention_ids,
        kind=kind,
        actor=comment.author,
        design=design,
        section=section,
        comment=comment,
        text=f"{comment.author.username} {verb} on {_quote(section.title)} in "
        f"{_quote(design.title)}",
        excerpt=comment.body,
    )


@transaction.atomic
def comment_add(*, section: Section, author: User, body: str, raise_issue: bool = False) -> Comment:
    """Start a thread on ``section``; with ``raise_issue`` the comment is an open issue.

    Records the section's current version, renders the Markdown (mentions linked for people
    who can see the design), notifies the authors and anyone mentioned, and for an issue
    recomputes the design's status. Atomic. Raises PermissionError if ``author`` cannot see
    the design, ValidationError for an empty or oversized body.
    """
    design = section.design
    _require_reader(design=design, user=author)
    body = _clean_body(body)
    body_html, mentioned = _render_body(body=body, design=design)
    current_version = Section.objects.values_list("version", flat=True).get(pk=section.pk)
    comment = Comment.objects.create(
        design=design,
        section=section,
        author=author,
        body=body,
        body_html=body_html,
        section_version=current_version,
        issue_status=Comment.IssueStatus.OPEN if raise_issue else Comment.IssueStatus.NONE,
    )
    if raise_issue:
        IssueChange.objects.create(
            comment=comment, from_status="", to_status=Comment.IssueStatus.OPEN, changed_by=author
        )
        design_review_status_refresh(design=design)
    _comment_notifications(comment=comment, mentioned=mentioned)
    return comment


@transaction.atomic
def comment_reply(*, parent: Comment, author: User, body: str) -> Comment:
    """Reply to a thread. Threads are one level deep: replying to a reply is refused with
    ValidationError. Notifies the authors, the people in the thread and anyone mentioned.
    Atomic. Raises PermissionError if ``author`` cannot see the design."""
    if parent.parent_id is not None:
        raise ValidationError("Replies are one level deep: reply to the thread's first comment.")
    design = parent.design
    _require_reader(design=design, user=author)
    body = _clean_body(body)
    body_html, mentioned = _render_body(body=body, design=design)
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
    )
    _comment_notifications(comment=reply, mentioned=mentioned)
    return reply


def _require_author(comment: Comment, user: User, verb: str) -> None:
    if comment.author_id != user.pk:
        raise PermissionError(f"Only the comment's author can {verb} it.")
    if comment.is_deleted:
        raise ValidationError("This comment was deleted.")


@transaction.atomic
def comment_edit(*, comment: Comment, edited_by: User, body: str) -> Comment:
    """Change a comment's text; it is marked edited. Only its author may (PermissionError).
    People mentioned for the first time are notified. Atomic."""
    _require_author(comment, edited_by, "edit")
    _require_reader(design=comment.design, user=edited_by)
    body = _clean_body(body)
    if body == comment.body:
        return comment
    before = {u.pk for u in _render_body(body=comment.body, design=comment.design)[1]}
    body_html, mentioned = _render_body(body=body, design=comment.design)
    comment.body = body
    comment.body_html = body_html
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "body_html", "edited_at", "updated_at"])
    new_mentions = [u for u in mentioned if u.pk not in before]
    if new_mentions:
        _comment_notifications(comment=comment, mentioned=new_mentions, is_edit=True)
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
    is_member = _require_reader(design=comment.design, user=changed_by)
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
    _notify(
        recipient_ids=_team_member_ids(comment.design) | _thread_participant_ids(comment),
        kind=Kind.ISSUE_CHANGED,
        actor=changed_by,
        design=comment.design,
        section=comment.section,
        comment=comment,
        text=f"{changed_by.username} {did} on {_quote(comment.section.title)} in "
        f"{_quote(comment.design.title)}",
        excerpt=comment.body,
    )
    return comment


@transaction.atomic
def thread_resolve(*, comment: Comment, resolved_by: User, resolved: bool = True) -> Comment:
    """Resolve (collapse) or unresolve a plain discussion thread. The thread's starter or
    the authors may (PermissionError otherwise); issues and replies are refused with
    ValidationError. Idempotent. Atomic."""
    is_member = _require_reader(design=comment.design, user=resolved_by)
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
    return comment


# Verdicts ----------------------------------------------------------------------------------


@transaction.atomic
def verdict_submit(*, design: Design, reviewer: User, kind: str, summary: str = "") -> Verdict:
    """Record a requested reviewer's verdict on the design's current revision (every
    section's version), notify the authors and recompute the design's status. Atomic.

    Raises PermissionError unless a review was requested from ``reviewer`` and they can
    still see the design; ValidationError for an unknown kind or an oversized summary.
    """
    if kind not in Verdict.Kind.values:
        raise ValidationError({"kind": f"Unknown verdict “{kind}”."})
    if not ReviewRequest.objects.filter(design=design, reviewer=reviewer).exists():
        raise PermissionError("Only requested reviewers can give a verdict on this design.")
    _require_reader(design=design, user=reviewer)
    summary = _clean_body(summary, field="summary", required=False)
    summary_html, mentioned = _render_body(body=summary, design=design)
    revision = dict(design.sections.values_list("key", "version"))
    verdict = Verdict.objects.create(
        design=design,
        reviewer=reviewer,
        kind=kind,
        summary=summary,
        summary_html=summary_html,
        revision=revision,
    )
    design_review_status_refresh(design=design)
    label = {
        Verdict.Kind.APPROVE: "approved",
        Verdict.Kind.REQUEST_CHANGES: "requested changes on",
        Verdict.Kind.COMMENT: "left a review on",
    }[Verdict.Kind(kind)]
    _notify(
        recipient_ids=_team_member_ids(design) | {u.pk for u in mentioned},
        kind=Kind.VERDICT,
        actor=reviewer,
        design=design,
        text=f"{reviewer.username} {label} {_quote(design.title)}",
        excerpt=summary,
    )
    return verdict


@transaction.atomic
def approvals_mark_stale(*, section: Section, edited_by: User) -> list[Verdict]:
    """A section changed: every approval of its design given on an older version of that
    section goes stale, its reviewer is told, and the design's status is recomputed (so an
    approved design goes back to "in review"). Idempotent. Atomic."""
    design = section.design
    stale = [
        v
        for v in Verdict.objects.filter(
            design_id=section.design_id, kind=Verdict.Kind.APPROVE, stale_at__isnull=True
        ).select_related("reviewer")
        if int(v.revision.get(section.key, 0)) < section.version
    ]
    if not stale:
        return []
    now = timezone.now()
    Verdict.objects.filter(pk__in=[v.pk for v in stale]).update(stale_at=now, updated_at=now)
    latest = latest_verdicts(Verdict.objects.filter(design_id=section.design_id))
    stale_ids = {v.pk for v in stale}
    design_review_status_refresh(design=design)
    _notify(
        recipient_ids=[r for r, v in latest.items() if v.pk in stale_ids],
        kind=Kind.APPROVAL_STALE,
        actor=edited_by,
        design=design,
        section=section,
        text=f"{edited_by.username} changed {_quote(section.title)} after your approval of "
        f"{_quote(design.title)}; look at the changes and approve again",
    )
    for v in stale:
        v.stale_at = now
    return stale


# Notifications -----------------------------------------------------------------------------


@transaction.atomic
def notification_mark_read(*, notification: Notification, user: User) -> Notification:
    """Mark one of ``user``'s notifications read. Idempotent."""
    if notification.recipient_id != user.pk:
        raise PermissionError("That notification is not yours.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at", "updated_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many. Idempotent."""
    now = timezone.now()
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=now, updated_at=now
    )


EMAIL_SETTING_FIELDS = (
    "email_enabled",
    "email_review_requested",
    "email_comment",
    "email_issue_changed",
    "email_verdict",
    "email_mention",
    "email_approval_stale",
)


@transaction.atomic
def notification_settings_update(*, user: User, **flags: bool) -> NotificationSettings:
    """Store which events ``user`` is emailed about. Unknown names raise ValidationError."""
    unknown = set(flags) - set(EMAIL_SETTING_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown setting {sorted(unknown)[0]}.")
    row, _ = NotificationSettings.objects.get_or_create(user=user)
    for name, value in flags.items():
        setattr(row, name, bool(value))
    row.save()
    return row


def wants_email(settings_row: NotificationSettings | None, kind: str) -> bool:
    if settings_row is None:
        return True
    if not settings_row.email_enabled:
        return False
    name = "email_comment" if kind == Kind.REPLY else f"email_{kind}"
    return bool(getattr(settings_row, name, True))


@transaction.atomic
def notification_email_send(*, notification_id: int) -> str:
    """Email one notification to its recipient unless their settings say no.

    Idempotent: the row is locked and its email status checked, so a notification is
    emailed at most once. Returns the email status. Mail server errors propagate so the
    task can retry.
    """
    notification = (
        Notification.objects.select_for_update(of=("self",))
        .select_related("recipient", "design")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None:
        return "missing"
    if notification.email_status in (
        Notification.EmailStatus.SENT,
        Notification.EmailStatus.SKIPPED,
    ):
        return notification.email_status
    recipient = notification.recipient
    settings_row = NotificationSettings.objects.filter(user=recipient).first()
    if (
        not recipient.email
        or not recipient.is_active
        or not wants_email(settings_row, notification.kind)
    ):
        status = Notification.EmailStatus.SKIPPED
    else:
        link = settings.SITE_URL.rstrip("/") + notification.url
        lines = [notification.text + ".", ""]
        if notification.excerpt:
            lines += [f"> {notification.excerpt}", ""]
        lines += [
            f"Open it: {link}",
            "",
            "Choose which emails you get: "
            + settings.SITE_URL.rstrip("/")
            + "/reviews/notifications/settings/",
        ]
        send_mail(
            subject=f"[Crit] {notification.text}",
            message="\n".join(lines),
            from_email=None,
            recipient_list=[recipient.email],
        )
        status = Notification.EmailStatus.SENT
    notification.email_status = status
    notification.email_error = ""
    notification.save(update_fields=["email_status", "email_error", "updated_at"])
    return status


@transaction.atomic
def notification_email_failed(*, notification_id: int, error: str) -> None:
    """Record that emailing a notification failed for good, with a readable reason."""
    Notification.objects.filter(pk=notification_id).exclude(
        email_status=Notification.EmailStatus.SENT
    ).update(
        email_status=Notification.EmailStatus.FAILED,
        email_error=f"The email could not be sent: {error}"[:500],
        updated_at=timezone.now(),
    )
