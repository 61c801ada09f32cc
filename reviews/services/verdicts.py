"""Verdicts, and approvals going stale when a section changes."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from designs import services as design_services
from designs.models import Design, Section
from reviews.models import (
    ReviewRequest,
    Verdict,
)
from reviews.selectors import latest_verdicts
from reviews.services._common import (
    Kind,
    clean_body,
    notify,
    quote,
    render_body,
    require_reader,
    team_member_ids,
)
from reviews.services.rounds import current_round
from reviews.services.status import design_review_status_refresh
from reviews.signals import review_changed, verdict_given


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
    require_reader(design=design, user=reviewer)
    summary = clean_body(summary, field="summary", required=False)
    summary_html, mentioned = render_body(body=summary, design=design)
    # Locked first, the versions read are all saved ones: a save in progress has locked the
    # row and is waited for; one that starts later finds this approval and makes it stale.
    design_services.design_lock(design=design)
    revision = dict(design.sections.values_list("key", "version"))
    verdict = Verdict.objects.create(
        design=design,
        reviewer=reviewer,
        kind=kind,
        summary=summary,
        summary_html=summary_html,
        revision=revision,
        round=current_round(design=design),
    )
    design_review_status_refresh(design=design)
    label = {
        Verdict.Kind.APPROVE: "approved",
        Verdict.Kind.REQUEST_CHANGES: "requested changes on",
        Verdict.Kind.COMMENT: "left a review on",
    }[Verdict.Kind(kind)]
    notify(
        recipient_ids=team_member_ids(design) | {u.pk for u in mentioned},
        kind=Kind.VERDICT,
        actor=reviewer,
        design=design,
        text=f"{reviewer.username} {label} {quote(design.title)}",
        excerpt=summary,
    )
    review_changed.send(sender=Verdict, design_id=design.pk)
    verdict_given.send(sender=Verdict, verdict=verdict)
    return verdict


@transaction.atomic(savepoint=False)  # inside the save's transaction: no savepoint needed
def approvals_mark_stale(*, section: Section, edited_by: User) -> list[Verdict]:
    """A section changed: every approval of its design given on an older version of that
    section goes stale, its reviewer is told, and the design's status is recomputed (so an
    approved design goes back to "in review"). Idempotent. Atomic."""
    live = Verdict.objects.filter(
        design_id=section.design_id, kind=Verdict.Kind.APPROVE, stale_at__isnull=True
    )
    stale_ids = [  # most saves find none: read only what tells
        pk
        for pk, revision in live.values_list("pk", "revision")
        if int(revision.get(section.key, 0)) < section.version
    ]
    if not stale_ids:
        return []
    stale = list(Verdict.objects.filter(pk__in=stale_ids).select_related("reviewer"))
    design = section.design
    now = timezone.now()
    Verdict.objects.filter(pk__in=stale_ids).update(stale_at=now, updated_at=now)
    latest = latest_verdicts(Verdict.objects.filter(design_id=section.design_id))
    design_review_status_refresh(design=design)
    notify(
        recipient_ids=[r for r, v in latest.items() if v.pk in stale_ids],
        kind=Kind.APPROVAL_STALE,
        actor=edited_by,
        design=design,
        section=section,
        text=f"{edited_by.username} changed {quote(section.title)} after your approval of "
        f"{quote(design.title)}; look at the changes and approve again",
    )
    for v in stale:
        v.stale_at = now
    review_changed.send(sender=Verdict, design_id=design.pk)
    return stale
