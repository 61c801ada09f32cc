"""Review rounds and "changes since my last review", over the reviews services."""

from datetime import datetime
from html import unescape
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.html import strip_tags
from ninja import Path, Router, Schema
from ninja.responses import Status

from api.v1 import errors
from api.v1.errors import ErrorOut, ValidationErrorOut
from api.v1.schemas import MAX_ID, VerdictName
from designs import selectors as design_selectors
from reviews import selectors, services
from reviews.selectors import RoundRow
from reviews.selectors.threads import diff_url

router = Router(tags=["reviews"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class RoundVerdictOut(Schema):
    reviewer: str
    verdict: VerdictName
    stale: bool
    created_at: datetime


class RoundOut(Schema):
    number: int
    started_by: str
    started_at: datetime
    verdicts: list[RoundVerdictOut]
    waiting: list[str]


class DiffLineOut(Schema):
    op: Literal["equal", "delete", "insert"]
    text: str


class ChangedSectionOut(Schema):
    key: str
    title: str
    from_version: int
    to_version: int
    diff_url: str
    lines: list[DiffLineOut]


class UnchangedSectionOut(Schema):
    key: str
    title: str
    version: int


class ChangesOut(Schema):
    since: Literal["verdict", "round", ""]
    since_at: datetime | None
    round: int | None
    changed: list[ChangedSectionOut]
    unchanged: list[UnchangedSectionOut]


def _round_data(row: RoundRow) -> dict:
    return {
        "number": row.round.number,
        "started_by": row.round.started_by.username,
        "started_at": row.round.started_at,
        "verdicts": [
            {
                "reviewer": v.reviewer.username,
                "verdict": v.kind,
                "stale": v.is_stale,
                "created_at": v.created_at,
            }
            for v in row.verdicts
        ],
        "waiting": [u.username for u in row.waiting],
    }


@router.post(
    "/designs/{design_id}/rounds",
    response={201: RoundOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut, 429: ErrorOut},
    summary="Request a re-review",
)
def round_start(request: HttpRequest, design_id: Id):
    """Team members start the next review round: every reviewer is notified and sees the
    changes since their last review. 422 when nobody is reviewing the design yet."""
    user = request.auth  # type: ignore[attr-defined]
    design = design_selectors.design_get_for(user, design_id).design
    try:
        round_ = services.review_round_start(design=design, started_by=user)
    except services.ReviewRequestRateLimited:
        raise  # 429, not a field error
    except ValidationError as exc:
        raise errors.from_django(exc, rename={"reviewer": "__all__"}) from exc
    row = next(r for r in selectors.review_rounds(design=design) if r.round.pk == round_.pk)
    return Status(201, _round_data(row))


@router.get(
    "/designs/{design_id}/rounds",
    response={200: list[RoundOut], 404: ErrorOut},
    summary="Review rounds",
)
def round_list(request: HttpRequest, design_id: Id):
    """Newest first, each with its reviewers' latest verdict in it; the current round also
    lists who has yet to answer."""
    user = request.auth  # type: ignore[attr-defined]
    design = design_selectors.design_get_for(user, design_id).design
    return [_round_data(row) for row in selectors.review_rounds(design=design)]


@router.get(
    "/designs/{design_id}/changes",
    response={200: ChangesOut, 404: ErrorOut},
    summary="Changes since my last review",
)
def review_changes(request: HttpRequest, design_id: Id):
    """Each section changed since your last review (your latest verdict; without one, the
    start of the round you were asked in; for the team, the start of the current round),
    with a line diff from the version you reviewed; the others listed as unchanged."""
    user = request.auth  # type: ignore[attr-defined]
    design = design_selectors.design_get_for(user, design_id).design
    sections = list(design_selectors.design_sections(design=design))
    changes = selectors.changes_since_last_review(design=design, sections=sections, viewer=user)
    return {
        "since": changes.since,
        "since_at": changes.since_at,
        "round": changes.round_number,
        "changed": [
            {
                "key": c.section.key,
                "title": c.section.title,
                "from_version": c.from_version,
                "to_version": c.to_version,
                "diff_url": diff_url(
                    design_id=design.pk,
                    key=c.section.key,
                    from_version=c.from_version,
                    to_version=c.to_version,
                ),
                "lines": [
                    {"op": line.kind, "text": unescape(strip_tags(line.html))} for line in c.lines
                ],
            }
            for c in changes.changed
        ],
        "unchanged": [
            {"key": s.key, "title": s.title, "version": s.version} for s in changes.unchanged
        ],
    }
