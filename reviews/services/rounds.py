"""Review rounds: round 1 starts with the first review request, the authors start the next
one by asking for a re-review."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from designs import services as design_services
from designs.models import Design
from reviews.models import ReviewRequest, ReviewRound
from reviews.services._common import Kind, notify, on_team, quote, review_request_allowance_take
from reviews.signals import review_changed, round_started


def current_round(*, design: Design) -> ReviewRound | None:
    """The design's latest round, or None before its first review request. One query."""
    return ReviewRound.objects.filter(design=design).order_by("-number").first()


def _revision(design: Design) -> dict[str, int]:
    return dict(design.sections.values_list("key", "version"))


@transaction.atomic(savepoint=False)  # always inside the request's transaction
def review_round_first(*, design: Design, started_by: User) -> ReviewRound:
    """Round 1 of ``design``, started now by ``started_by`` unless the design already has
    rounds (then the current one is returned). Called by ``review_request``."""
    design_services.design_lock(design=design)
    existing = current_round(design=design)
    if existing is not None:
        return existing
    return ReviewRound.objects.create(
        design=design,
        number=1,
        started_by=started_by,
        started_at=timezone.now(),
        revision=_revision(design),
    )


@transaction.atomic
def review_round_start(*, design: Design, started_by: User) -> ReviewRound:
    """Ask every reviewer of ``design`` for another round: round N+1 starts on the current
    versions of the sections, every reviewer with a live request (and an active account) is
    notified with a link to the changes since their last review, and the design is back on
    their waiting list. Verdicts keep their rules: an approval is stale only once a section
    changed after it. Sends ``round_started``. Atomic; the design row is locked, so two
    clicks make two rounds one after the other, never two rounds with one number.

    Raises PermissionError unless ``started_by`` is on the design's team, ValidationError
    when nobody was asked to review the design yet, and ReviewRequestRateLimited (a
    ValidationError) past CRIT_REVIEW_REQUESTS_PER_MINUTE.
    """
    if not on_team(design=design, user=started_by):
        raise PermissionError("Only members of the design's team can ask for a re-review.")
    design_services.design_lock(design=design)
    previous = current_round(design=design)
    reviewer_ids = list(
        ReviewRequest.objects.filter(design=design, reviewer__is_active=True).values_list(
            "reviewer_id", flat=True
        )
    )
    if previous is None or not reviewer_ids:
        raise ValidationError(
            {"reviewer": "Nobody is reviewing this design yet: request a review first."}
        )
    review_request_allowance_take(user=started_by)
    now = timezone.now()
    round_ = ReviewRound.objects.create(
        design=design,
        number=previous.number + 1,
        started_by=started_by,
        started_at=now,
        revision=_revision(design),
    )
    ReviewRequest.objects.filter(design=design).update(requested_at=now, updated_at=now)
    notify(
        recipient_ids=reviewer_ids,
        kind=Kind.REREVIEW_REQUESTED,
        actor=started_by,
        design=design,
        text=f"{started_by.username} asked you to review {quote(design.title)} again "
        f"(round {round_.number})",
        url=reverse("reviews:changes", args=[design.pk]),
    )
    round_started.send(
        sender=ReviewRound,
        design_id=design.pk,
        round_id=round_.pk,
        number=round_.number,
        started_by_id=started_by.pk,
    )
    review_changed.send(sender=ReviewRound, design_id=design.pk)
    return round_
