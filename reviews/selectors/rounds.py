"""Review rounds, and what changed since a reviewer's last review."""

from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from operator import or_

from django.db.models import Q

from accounts.models import User
from designs.diff import TextDiff, text_diff
from designs.models import Design, Revision, Section
from reviews.models import ReviewRequest, ReviewRound, Verdict


@dataclass
class RoundRow:
    round: ReviewRound
    # Each reviewer's latest verdict given in this round, by username.
    verdicts: list[Verdict] = field(default_factory=list)
    # The current round only: reviewers asked now who gave no verdict in it yet.
    waiting: list[User] = field(default_factory=list)
    is_current: bool = False


def review_rounds(
    *,
    design: Design,
    verdicts: list[Verdict] | None = None,
    requests: list[ReviewRequest] | None = None,
) -> list[RoundRow]:
    """The design's rounds, newest first, each with its reviewers' verdicts in it and, for
    the current one, who has yet to answer. ``verdicts`` (with ``reviewer``) and
    ``requests`` (with ``reviewer``) may be passed already loaded, as the design page does:
    then one query, otherwise three, whatever the number of rounds and verdicts."""
    rounds = list(
        ReviewRound.objects.filter(design=design).select_related("started_by").order_by("-number")
    )
    if not rounds:
        return []
    if verdicts is None:
        verdicts = list(Verdict.objects.filter(design=design).select_related("reviewer"))
    if requests is None:
        requests = list(ReviewRequest.objects.filter(design=design).select_related("reviewer"))
    rows = {r.pk: RoundRow(round=r, is_current=i == 0) for i, r in enumerate(rounds)}
    latest: dict[tuple[int, int], Verdict] = {}
    for verdict in sorted(verdicts, key=lambda v: (v.created_at, v.pk)):
        if verdict.round_id in rows:
            latest[(verdict.round_id, verdict.reviewer_id)] = verdict
    for (round_id, _), verdict in latest.items():
        rows[round_id].verdicts.append(verdict)
    current = rows[rounds[0].pk]
    answered = {v.reviewer_id for v in current.verdicts}
    current.waiting = sorted(
        (r.reviewer for r in requests if r.reviewer_id not in answered),
        key=lambda u: u.username.lower(),
    )
    for row in rows.values():
        row.verdicts.sort(key=lambda v: v.reviewer.username.lower())
    return list(rows.values())


@dataclass
class SectionChange:
    section: Section
    from_version: int
    to_version: int
    lines: TextDiff


@dataclass
class ChangesSinceReview:
    """What changed in a design since ``viewer`` last reviewed it.

    ``since`` says what the comparison starts from: "verdict" (their latest verdict),
    "round" (the start of the round they were asked in, or, for the team, the current
    round) or "" when the design has no review round yet (nothing is compared).
    """

    since: str
    since_at: datetime | None
    round_number: int | None
    changed: list[SectionChange]
    unchanged: list[Section]


def _baseline(
    *, design: Design, viewer: User
) -> tuple[str, datetime | None, int | None, dict[str, int]]:
    verdict = (
        Verdict.objects.filter(design=design, reviewer=viewer)
        .select_related("round")
        .order_by("-created_at", "-pk")
        .first()
    )
    if verdict is not None:
        number = verdict.round.number if verdict.round else None
        return "verdict", verdict.created_at, number, verdict.revision
    asked_at = (
        ReviewRequest.objects.filter(design=design, reviewer=viewer)
        .values_list("created_at", flat=True)
        .first()
    )
    rounds = ReviewRound.objects.filter(design=design).order_by("-number")
    round_ = None
    if asked_at is not None:
        round_ = rounds.filter(started_at__lte=asked_at).first() or rounds.last()
    else:
        round_ = rounds.first()
    if round_ is None:
        return "", None, None, {}
    return "round", round_.started_at, round_.number, round_.revision


def changes_since_last_review(
    *, design: Design, sections: list[Section], viewer: User
) -> ChangesSinceReview:
    """Each section changed since ``viewer``'s last review, with the diff from the version
    they reviewed to the current one; the others listed as unchanged.

    The last review is the viewer's latest verdict (the versions it was given on). Without
    one, it is the start of the round they were asked to review in (the versions then);
    for the team, the start of the current round. Four queries whatever the number of
    sections.
    """
    since, since_at, number, revision = _baseline(design=design, viewer=viewer)
    if not since:
        return ChangesSinceReview(
            since="", since_at=None, round_number=None, changed=[], unchanged=list(sections)
        )
    changed_pairs = [
        (s, int(revision.get(s.key, 0)))
        for s in sections
        if s.version > int(revision.get(s.key, 0))
    ]
    wanted = [Q(section_id=s.pk, version=v) for s, v in changed_pairs if v > 0]
    old_bodies: dict[tuple[int, int], str] = {}
    if wanted:
        old_bodies = {
            (section_id, version): body
            for section_id, version, body in Revision.objects.filter(
                reduce(or_, wanted)
            ).values_list("section_id", "version", "body")
        }
    changed_ids = {s.pk for s, _ in changed_pairs}
    return ChangesSinceReview(
        since=since,
        since_at=since_at,
        round_number=number,
        changed=[
            SectionChange(
                section=s,
                from_version=v,
                to_version=s.version,
                lines=text_diff(old_bodies.get((s.pk, v), ""), s.body),
            )
            for s, v in changed_pairs
        ],
        unchanged=[s for s in sections if s.pk not in changed_ids],
    )
