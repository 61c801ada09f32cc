"""Review requests, comments, issues and verdicts, over the reviews services."""

from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Path, Router
from ninja.pagination import paginate
from ninja.responses import Status

from accounts.selectors import user_find
from api.v1 import errors
from api.v1.errors import ErrorOut, TooLargeOut, ValidationErrorOut
from api.v1.pagination import Page
from api.v1.schemas import (
    MAX_ID,
    SLUG_PATTERN,
    AnchorIn,
    CommentIn,
    CommentOut,
    CommentPatchIn,
    ReviewerIn,
    ReviewRequestOut,
    ThreadOut,
    VerdictIn,
    VerdictOut,
    comment_limit,
    limit_bytes,
)
from api.v1.serializers import comment_data, review_request_data, thread_data, verdict_data
from designs import selectors as design_selectors
from reviews import selectors, services

router = Router(tags=["reviews"])

# A passage's errors are the anchor's.
ANCHOR_FIELDS = dict.fromkeys(("exact", "prefix", "suffix", "start"), "anchor")


def passage_input(anchor: AnchorIn | None) -> services.PassageInput | None:
    if anchor is None:
        return None
    return services.PassageInput(
        exact=anchor.exact,
        prefix=anchor.prefix,
        suffix=anchor.suffix,
        start=anchor.start,
        end=anchor.end,
    )


Id = Annotated[int, Path(ge=1, le=MAX_ID)]
SectionKey = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=100)]
Username = Annotated[str, Path(max_length=254)]
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 413: TooLargeOut, 422: ValidationErrorOut}
COMMENT_ERRORS = {**WRITE_ERRORS, 429: ErrorOut}


@router.post(
    "/designs/{design_id}/reviewers",
    response={201: ReviewRequestOut, **WRITE_ERRORS, 429: ErrorOut},
    summary="Request a review",
)
def reviewer_add(request: HttpRequest, design_id: Id, payload: ReviewerIn):
    """Team members ask someone to review; they may read the design while the request is
    live. Asking again updates the message without notifying them a second time. At most
    `CRIT_REVIEW_REQUESTS_PER_MINUTE` requests a minute per member (429 with `Retry-After`)."""
    user = request.auth  # type: ignore[attr-defined]
    design = design_selectors.design_get_for(user, design_id).design
    reviewer = user_find(payload.username)
    if reviewer is None:
        raise errors.validation_error("username", f"No user goes by “{payload.username}”.")
    try:
        review_request = services.review_request(
            design=design, reviewer=reviewer, requested_by=user, message=payload.message
        )
    except services.ReviewRequestRateLimited:
        raise  # 429, not a field error
    except ValidationError as exc:
        raise errors.from_django(exc, rename={"reviewer": "username"}) from exc
    return Status(201, review_request_data(review_request, design=design))


@router.delete(
    "/designs/{design_id}/reviewers/{username}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Withdraw a review request",
)
def reviewer_remove(request: HttpRequest, design_id: Id, username: Username):
    """Team members take someone off the reviewers: their verdicts stay in the record but
    no longer count, and the read access the request gave ends (a team member reads on as
    a member)."""
    user = request.auth  # type: ignore[attr-defined]
    design = design_selectors.design_get_for(user, design_id, for_edit=True).design
    reviewer = user_find(username)
    if reviewer is None:
        raise Http404("No such reviewer.")
    try:
        services.review_request_withdraw(design=design, reviewer=reviewer, withdrawn_by=user)
    except LookupError as exc:
        raise Http404(str(exc)) from exc
    return Status(204, None)


@router.get(
    "/designs/{design_id}/sections/{key}/comments",
    response={200: list[ThreadOut], 404: ErrorOut},
    summary="A section's threads",
)
@paginate(Page, serialize=lambda pair: thread_data(pair[0], section_version=pair[1]))
def comment_list(request: HttpRequest, design_id: Id, key: SectionKey):
    """Oldest first, each with its replies."""
    user = request.auth  # type: ignore[attr-defined]
    access, section = design_selectors.section_get_for(user, design_id, key)
    selectors.threads_attach(
        design=access.design, sections=[section], viewer=user, is_member=access.is_member
    )
    return [(thread, section.version) for thread in section.review_threads]  # type: ignore[attr-defined]


@router.post(
    "/designs/{design_id}/sections/{key}/comments",
    response={201: CommentOut, **COMMENT_ERRORS},
    summary="Comment on a section",
)
def comment_add(request: HttpRequest, design_id: Id, key: SectionKey, payload: CommentIn):
    """Start a thread (optionally an issue), or reply to one with `parent_id`."""
    user = request.auth  # type: ignore[attr-defined]
    limit_bytes(payload.body, field="body", limit=comment_limit())
    _, section = design_selectors.section_get_for(user, design_id, key)
    if payload.parent_id is None:
        try:
            comment = services.comment_add(
                section=section,
                author=user,
                body=payload.body,
                raise_issue=payload.is_issue,
                passage=passage_input(payload.anchor),
            )
        except services.CommentRateLimited:
            raise  # 429, not a field error
        except ValidationError as exc:
            raise errors.from_django(exc, rename=ANCHOR_FIELDS) from exc
    else:
        if payload.is_issue:
            raise errors.validation_error("is_issue", "A reply cannot be an issue.")
        if payload.anchor is not None:
            raise errors.validation_error("anchor", "A reply is on its thread's passage.")
        try:
            _, parent = selectors.comment_get_for(user, payload.parent_id)
        except Http404 as exc:
            raise errors.validation_error("parent_id", "No such comment.") from exc
        if parent.section_id != section.pk:
            raise errors.validation_error("parent_id", "That comment is on another section.")
        try:
            comment = services.comment_reply(parent=parent, author=user, body=payload.body)
        except services.CommentRateLimited:
            raise  # 429, not a field error
        except ValidationError as exc:
            raise errors.from_django(exc, rename={"__all__": "parent_id"}) from exc
    return Status(201, comment_data(comment, section_version=section.version))


@router.patch(
    "/comments/{comment_id}",
    response={200: CommentOut, **WRITE_ERRORS},
    summary="Edit a comment or move an issue",
)
def comment_update(request: HttpRequest, comment_id: Id, payload: CommentPatchIn):
    """Send `body` to edit your own comment, or `issue_status` to move an issue (one of the
    two per request)."""
    user = request.auth  # type: ignore[attr-defined]
    if (payload.body is None) == (payload.issue_status is None):
        raise errors.validation_error(None, "Send either body or issue_status.")
    limit_bytes(payload.body, field="body", limit=comment_limit())
    _, comment = selectors.comment_get_for(user, comment_id)
    if payload.body is not None:
        comment = services.comment_edit(comment=comment, edited_by=user, body=payload.body)
    else:
        try:
            comment = services.issue_status_change(
                comment=comment, to_status=str(payload.issue_status), changed_by=user
            )
        except ValidationError as exc:
            raise errors.from_django(exc, rename={"__all__": "issue_status"}) from exc
    return comment_data(comment, section_version=comment.section.version)


@router.post(
    "/designs/{design_id}/reviews",
    response={201: VerdictOut, **WRITE_ERRORS},
    summary="Give a verdict",
)
def verdict_add(request: HttpRequest, design_id: Id, payload: VerdictIn):
    """Requested reviewers only: approve, request changes, or comment."""
    user = request.auth  # type: ignore[attr-defined]
    limit_bytes(payload.summary, field="summary", limit=comment_limit())
    design = design_selectors.design_get_for(user, design_id).design
    try:
        verdict = services.verdict_submit(
            design=design, reviewer=user, kind=payload.verdict, summary=payload.summary
        )
    except ValidationError as exc:
        raise errors.from_django(exc, rename={"kind": "verdict"}) from exc
    return Status(201, verdict_data(verdict, design=design))
