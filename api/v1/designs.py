"""Designs and their sections, over the same services and selectors as the pages."""

from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from api.v1 import errors
from api.v1.errors import ErrorOut, TooLargeOut, ValidationErrorOut
from api.v1.pagination import Page
from api.v1.schemas import (
    MAX_ID,
    SLUG_PATTERN,
    ConflictOut,
    DesignIn,
    DesignOut,
    DesignSummaryOut,
    RevisionOut,
    SectionPatchIn,
    SectionSavedOut,
    StatusName,
    limit_bytes,
    limit_chars,
    section_body_limit,
    title_limit,
)
from api.v1.serializers import design_data, design_summary_data, revision_data, section_data
from designs import selectors, services
from designs.calc import services as calc_services
from designs.models import SUMMARY_MAX_CHARS

router = Router(tags=["designs"])

DesignId = Annotated[int, Path(ge=1, le=MAX_ID)]
SectionKey = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=100)]


class DesignFilters(Schema):
    team: int | None = Field(None, ge=1, le=MAX_ID)
    status: StatusName | None = None


def _design_response(user, design_id: DesignId) -> dict:
    access = selectors.design_get_for(user, design_id)
    sections = list(selectors.design_sections(design=access.design))
    values = calc_services.design_values(design=access.design)
    return design_data(access.design, can_edit=access.can_edit, sections=sections, values=values)


@router.get("/designs", response=list[DesignSummaryOut], summary="Designs I can see")
@paginate(Page, serialize=design_summary_data)
def design_list(request: HttpRequest, filters: Query[DesignFilters]):
    """Newest edit first; filter by `team` (id) and `status`."""
    return selectors.design_list(
        fetched_by=request.auth,  # type: ignore[attr-defined]
        team_id=filters.team,
        status=filters.status,
    )


@router.post(
    "/designs",
    response={201: DesignOut, 413: TooLargeOut, 422: ValidationErrorOut},
    summary="Create a design",
)
def design_create(request: HttpRequest, payload: DesignIn):
    """From a template (the default checklist unless `template_id` is given), in one of
    the caller's teams."""
    user = request.auth  # type: ignore[attr-defined]
    limit_chars(payload.title, field="title", limit=title_limit())
    limit_chars(payload.summary, field="summary", limit=SUMMARY_MAX_CHARS)
    team = selectors.teams_for_new_design(fetched_by=user).filter(pk=payload.team_id).first()
    if team is None:
        raise errors.validation_error("team_id", "No such team among yours.")
    template = None
    if payload.template_id is not None:
        templates = selectors.template_list(fetched_by=user)
        template = templates.filter(pk=payload.template_id).first()
        if template is None:
            raise errors.validation_error("template_id", "No such template.")
    try:
        design = services.design_create(
            team=team,
            title=payload.title,
            summary=payload.summary,
            template=template,
            created_by=user,
        )
    except ValidationError as exc:
        raise errors.from_django(exc, rename={"template": "template_id"}) from exc
    return Status(201, _design_response(user, design.pk))


@router.get(
    "/designs/{design_id}",
    response={200: DesignOut, 404: ErrorOut},
    summary="A design with its sections",
)
def design_detail(request: HttpRequest, design_id: DesignId):
    return _design_response(request.auth, design_id)  # type: ignore[attr-defined]


@router.patch(
    "/designs/{design_id}/sections/{key}",
    response={
        200: SectionSavedOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ConflictOut,
        413: TooLargeOut,
        422: ValidationErrorOut,
    },
    summary="Save a section",
)
def section_update(
    request: HttpRequest, design_id: DesignId, key: SectionKey, payload: SectionPatchIn
):
    """Saves if nobody saved the section since `base_version`. If someone did, the two edits
    are merged against `base_version` when they do not overlap (`"merged": true`); when they
    overlap, nothing is saved and the answer is 409 with the section as saved now in
    `current`. Text is stored and returned exactly as sent."""
    user = request.auth  # type: ignore[attr-defined]
    limit_bytes(payload.body, field="body", limit=section_body_limit())
    section = selectors.section_to_save(user, design_id, key)
    save = services.section_save(
        section=section,
        body=section.body if payload.body is None else payload.body,
        state=payload.state,
        na_reason=payload.na_reason,
        base_version=payload.base_version,
        edited_by=user,
    )
    return {**section_data(save.section), "merged": save.merged}


@router.get(
    "/designs/{design_id}/sections/{key}/revisions",
    response={200: list[RevisionOut], 404: ErrorOut},
    summary="A section's history",
)
@paginate(Page, serialize=revision_data)
def section_revisions(request: HttpRequest, design_id: DesignId, key: SectionKey):
    """Every save, newest first, with the whole text at that version."""
    _, section = selectors.section_get_for(request.auth, design_id, key)  # type: ignore[attr-defined]
    return selectors.section_revisions(section=section)
