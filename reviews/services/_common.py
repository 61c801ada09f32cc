"""Helpers shared by the review services: access checks, Markdown with mentions, and
the fan-out of notifications."""

import logging
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower

from accounts.models import Membership, User
from config.ratelimit import LimitReached, allowance_take
from designs.markdown import render_markdown
from designs.models import Design, DesignReader, Section
from designs.selectors import design_reader_ids
from reviews.mentions import link_mentions, mentioned_names
from reviews.models import (
    Comment,
    Notification,
)
from reviews.signals import notifications_changed

logger = logging.getLogger(__name__)

Kind = Notification.Kind


def on_team(*, design: Design, user: User) -> bool:
    return Membership.objects.filter(team_id=design.team_id, user=user).exists()


def access_of(*, design: Design, user: User) -> tuple[bool, bool]:
    """(is team member, may read the design)."""
    if Membership.objects.filter(team_id=design.team_id, user=user).exists():
        return True, True
    return False, DesignReader.objects.filter(design=design, user=user).exists()


def require_reader(*, design: Design, user: User) -> bool:
    """Raise PermissionError unless ``user`` can see the design; return whether a member."""
    is_member, can_read = access_of(design=design, user=user)
    if not can_read:
        raise PermissionError("You do not have access to this design.")
    return is_member


def clean_body(body: str, *, field: str = "body", required: bool = True) -> str:
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


class CommentRateLimited(LimitReached):
    """Over the comment limit (a ValidationError about ``body``)."""

    field = "body"


def comment_allowance_take(*, user: User) -> None:
    """Count one comment by ``user``; CommentRateLimited once over
    CRIT_COMMENTS_PER_MINUTE (0 turns the limit off)."""
    limit = settings.CRIT_COMMENTS_PER_MINUTE
    allowance_take(
        name="comments",
        user_id=user.pk,
        limit=limit,
        window=60,
        error=CommentRateLimited,
        message=f"You are commenting very fast: at most {limit} comments a minute.",
    )


class ReviewRequestRateLimited(LimitReached):
    """Over the review request limit (a ValidationError about ``reviewer``)."""

    field = "reviewer"


def review_request_allowance_take(*, user: User) -> None:
    """Count one review request by ``user``; ReviewRequestRateLimited once over
    CRIT_REVIEW_REQUESTS_PER_MINUTE (0 turns the limit off)."""
    limit = settings.CRIT_REVIEW_REQUESTS_PER_MINUTE
    allowance_take(
        name="review_requests",
        user_id=user.pk,
        limit=limit,
        window=60,
        error=ReviewRequestRateLimited,
        message=f"You are asking for reviews very fast: at most {limit} requests a minute.",
    )


def section_url(section: Section) -> str:
    return f"{section.design.get_absolute_url()}#section-{section.key}"


def render_body(*, body: str, design: Design) -> tuple[str, list[User]]:
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


def team_member_ids(design: Design) -> set[int]:
    return set(Membership.objects.filter(team_id=design.team_id).values_list("user_id", flat=True))


def thread_participant_ids(thread: Comment) -> set[int]:
    ids = {thread.author_id}
    ids.update(Comment.objects.filter(parent=thread).values_list("author_id", flat=True))
    return ids


def shorten(text: str, limit: int = 280) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def notify(
    *,
    recipient_ids: Iterable[int],
    kind: str,
    actor: User | None,
    design: Design,
    text: str,
    section: Section | None = None,
    comment: Comment | None = None,
    excerpt: str = "",
    url: str | None = None,
) -> list[Notification]:
    """Create in-app notifications and email them after commit: never for the actor, and
    only for people who may read ``design`` now (on its team or with a live review
    request), so nobody hears of a design they have lost access to. The email task checks
    access again before it sends."""
    actor_id = actor.pk if actor else None
    ids = sorted(design_reader_ids(design=design, user_ids=set(recipient_ids) - {actor_id}))
    if not ids:
        return []
    if url is None:
        url = section_url(section) if section is not None else design.get_absolute_url()
    rows = Notification.objects.bulk_create(
        Notification(
            recipient_id=recipient_id,
            actor=actor,
            kind=kind,
            design=design,
            section=section,
            comment=comment,
            text=text[:300],
            excerpt=shorten(excerpt),
            url=url,
        )
        for recipient_id in ids
    )
    from reviews.tasks import notification_email  # tasks import services

    for row in rows:
        transaction.on_commit(partial(notification_email.delay, row.pk))
    notifications_changed.send(sender=Notification, recipient_ids=ids)
    return rows


def quote(title: str) -> str:
    return f"“{title}”"
