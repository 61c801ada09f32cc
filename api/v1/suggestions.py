"""Suggested edits: made by anyone who reads the design, applied or dismissed by its team.
A suggestion is a thread (its id is the thread's first comment's id) with a `suggestion`."""

from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Path, Router
from ninja.pagination import paginate
from ninja.responses import Status

from api.v1 import errors
from api.v1.errors import ErrorOut, TooLargeOut, ValidationErrorOut
from api.v1.pagination import Page
from api.v1.reviews import ANCHOR_FIELDS, passage_input
from api.v1.schemas import (
    MAX_ID,
    SLUG_PATTERN,
    SuggestionConflictOut,
    SuggestionDismissIn,
    SuggestionIn,
    ThreadOut,
    comment_limit,
    limit_bytes,
    section_body_limit,
)
from api.v1.serializers import thread_data
from designs import selectors as design_selectors
from designs.models import Section
from reviews import selectors, services
from reviews.models import Comment

router = Router(tags=["suggestions"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
SectionKey = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=100)]
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 413: TooLargeOut, 422: ValidationErrorOut}


def _thread(comment_id: int, user) -> tuple[Comment, int]:
    """The thread as the list loads it (replies, anchor, suggestion), with its section's
    version."""
    access, comment = selectors.comment_get_for(user, comment_id)
    section = comment.section
    threads = selectors.load_threads(design=access.design, sections=[section])
    thread = next(t for t in threads[section.pk] if t.pk == comment.pk)
    version = Section.objects.values_list("version", flat=True).get(pk=section.pk)
    return thread, version


@router.get(
    "/designs/{design_id}/sections/{key}/suggestions",
    response={200: list[ThreadOut], 404: ErrorOut},
    summary="A section's suggested edits",
)
@paginate(Page, serialize=lambda pair: thread_data(pair[0], section_version=pair[1]))
def suggestion_list(request: HttpRequest, design_id: Id, key: SectionKey):
    """The threads that suggest an edit, oldest first, open or decided."""
    user = request.auth  # type: ignore[attr-defined]
    access, section = design_selectors.section_get_for(user, design_id, key)
    threads = selectors.load_threads(design=access.design, sections=[section])
    return [
        (thread, section.version)
        for thread in threads.get(section.pk, [])
        if thread.suggested is not None  # type: ignore[attr-defined]
    ]


@router.post(
    "/designs/{design_id}/sections/{key}/suggestions",
    response={201: ThreadOut, **WRITE_ERRORS, 429: ErrorOut},
    summary="Suggest an edit",
)
def suggestion_create(request: HttpRequest, design_id: Id, key: SectionKey, payload: SuggestionIn):
    """Suggest `replacement` for the passage `anchor` (or for the whole section without
    one), with an optional `body` saying why. Anyone who reads the design may."""
    user = request.auth  # type: ignore[attr-defined]
    limit_bytes(payload.body, field="body", limit=comment_limit())
    limit_bytes(payload.replacement, field="replacement", limit=section_body_limit())
    _, section = design_selectors.section_get_for(user, design_id, key)
    try:
        comment = services.comment_add(
            section=section,
            author=user,
            body=payload.body,
            passage=passage_input(payload.anchor),
            replacement=payload.replacement,
        )
    except services.CommentRateLimited:
        raise  # 429, not a field error
    except ValidationError as exc:
        raise errors.from_django(exc, rename=ANCHOR_FIELDS) from exc
    thread, version = _thread(comment.pk, user)
    return Status(201, thread_data(thread, section_version=version))


@router.post(
    "/suggestions/{comment_id}/apply",
    response={200: ThreadOut, 409: SuggestionConflictOut, **WRITE_ERRORS},
    summary="Apply a suggested edit",
)
def suggestion_apply(request: HttpRequest, comment_id: Id):
    """The design's team: the edit becomes a new revision of the section (its reviewer
    credited as co-author). If the section changed since, it is merged when the changes do
    not touch the passage; otherwise 409 and nothing changes."""
    user = request.auth  # type: ignore[attr-defined]
    _, suggestion = selectors.suggestion_get_for(user, comment_id)
    try:
        services.suggestion_apply(suggestion=suggestion, applied_by=user)
    except services.SuggestionConflict as exc:
        return Status(409, {"detail": " ".join(exc.messages), "section_version": exc.version})
    except ValidationError as exc:
        raise errors.from_django(exc) from exc
    thread, version = _thread(comment_id, user)
    return thread_data(thread, section_version=version)


@router.post(
    "/suggestions/{comment_id}/dismiss",
    response={200: ThreadOut, **WRITE_ERRORS, 429: ErrorOut},
    summary="Dismiss a suggested edit",
)
def suggestion_dismiss(request: HttpRequest, comment_id: Id, payload: SuggestionDismissIn):
    """The design's team: turn it down with a reply (`body`) in its thread."""
    user = request.auth  # type: ignore[attr-defined]
    limit_bytes(payload.body, field="body", limit=comment_limit())
    _, suggestion = selectors.suggestion_get_for(user, comment_id)
    try:
        services.suggestion_dismiss(suggestion=suggestion, dismissed_by=user, reply=payload.body)
    except services.CommentRateLimited:
        raise
    except ValidationError as exc:
        raise errors.from_django(exc) from exc
    thread, version = _thread(comment_id, user)
    return thread_data(thread, section_version=version)
