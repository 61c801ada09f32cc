"""Asking someone to review a design."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from designs import services as design_services
from designs.models import Design
from reviews.models import (
    Notification,
    ReviewRequest,
)
from reviews.services._common import (
    Kind,
    clean_body,
    notify,
    on_team,
    quote,
    review_request_allowance_take,
)
from reviews.services.rounds import review_round_first
from reviews.services.status import design_review_status_refresh
from reviews.signals import review_changed, review_requested, review_withdrawn


def _unread_request_notice(*, design: Design, reviewer: User) -> bool:
    """Whether ``reviewer`` still has an unread "asked you to review" for ``design`` (asked,
    withdrawn and asked again): one in the inbox is enough."""
    return Notification.objects.filter(
        recipient=reviewer, design=design, kind=Kind.REVIEW_REQUESTED, read_at__isnull=True
    ).exists()


@transaction.atomic
def review_request(
    *, design: Design, reviewer: User, requested_by: User, message: str = ""
) -> ReviewRequest:
    """Ask ``reviewer`` to review ``design``: they get read access for as long as the
    request is live (on the team or not; withdrawing it is the one way it ends), a
    notification, and the design leaves "draft" for "in review"; the first request starts
    review round 1. Asking again updates the
    message and puts the design back on their waiting list, but sends no second
    notification (nor does asking again after a withdrawal while the first is unread).
    Atomic.

    Raises PermissionError unless ``requested_by`` is on the design's team, ValidationError
    for an inactive reviewer, asking oneself, or a message that is too long, and
    ReviewRequestRateLimited (a ValidationError) past CRIT_REVIEW_REQUESTS_PER_MINUTE.
    """
    if not on_team(design=design, user=requested_by):
        raise PermissionError("Only members of the design's team can request reviews.")
    if not reviewer.is_active:
        raise ValidationError({"reviewer": "That account is not active."})
    if reviewer.pk == requested_by.pk:
        raise ValidationError({"reviewer": "You cannot review your own request; ask someone else."})
    message = clean_body(message, field="message", required=False)
    if len(message) > 2000:
        raise ValidationError({"message": "Keep the message under 2,000 characters."})
    review_request_allowance_take(user=requested_by)
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
    design_services.design_reader_grant(design=design, user=reviewer)
    review_round_first(design=design, started_by=requested_by)
    design_review_status_refresh(design=design)
    review_changed.send(sender=ReviewRequest, design_id=design.pk)
    review_requested.send(
        sender=ReviewRequest,
        request=request,
        design=design,
        reviewer=reviewer,
        requested_by=requested_by,
        created=created,
    )
    if not created or _unread_request_notice(design=design, reviewer=reviewer):
        return request
    notify(
        recipient_ids=[reviewer.pk],
        kind=Kind.REVIEW_REQUESTED,
        actor=requested_by,
        design=design,
        text=f"{requested_by.username} asked you to review {quote(design.title)}",
        excerpt=message,
    )
    return request


@transaction.atomic
def review_request_withdraw(*, design: Design, reviewer: User, withdrawn_by: User) -> None:
    """Take ``reviewer`` off the design's reviewers: their verdicts stay in the record but
    no longer count towards the status, which is recomputed. The read access the request
    gave them ends (their comments stay): they read on only while on the team. Atomic.

    Raises PermissionError unless ``withdrawn_by`` is on the design's team, LookupError
    when ``reviewer`` was not asked to review it.
    """
    if not on_team(design=design, user=withdrawn_by):
        raise PermissionError("Only members of the design's team can withdraw review requests.")
    deleted, _ = ReviewRequest.objects.filter(design=design, reviewer=reviewer).delete()
    if not deleted:
        raise LookupError(f"{reviewer.username} was not asked to review this design.")
    design_services.design_reader_revoke(design=design, user=reviewer)
    design_review_status_refresh(design=design)
    review_changed.send(sender=ReviewRequest, design_id=design.pk)
    review_withdrawn.send(
        sender=ReviewRequest, design=design, reviewer=reviewer, withdrawn_by=withdrawn_by
    )
