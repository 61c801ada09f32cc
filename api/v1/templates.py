"""Templates (list, create, edit) and the Markdown import, over the same services and
selectors as the pages."""

from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Path, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import Field

from api.v1 import errors
from api.v1.errors import ErrorOut, PayloadTooLarge, TooLargeOut, ValidationErrorOut
from api.v1.pagination import Page
from api.v1.schemas import MAX_ID, DesignOut, Line, TeamRef, Text, limit_chars, title_limit
from api.v1.serializers import design_data
from designs import importing, selectors
from designs import template_services as ts
from designs.models import Template

router = Router(tags=["templates"])

TemplateId = Annotated[int, Path(ge=1, le=MAX_ID)]


class TemplateSectionOut(Schema):
    key: str
    position: int
    title: str
    guidance: str = Field(description="Markdown.")
    signoff_roles: list[str] = Field(
        description="Roles whose sign-off the section will need; kept now, in effect once "
        "section sign-off exists."
    )


class TemplateOut(Schema):
    id: int
    name: str
    description: str
    team: TeamRef | None = Field(description="Empty for the built-in checklist.")
    builtin: bool
    version: int
    can_edit: bool
    sections: list[TemplateSectionOut]


class TemplateSectionIn(Schema):
    key: str = Field(
        "",
        max_length=100,
        pattern=r"^[-a-zA-Z0-9_]*$",
        description="An existing section's key keeps that section (a retitle); empty for new.",
    )
    title: Line = Field(max_length=200)
    guidance: Text = Field("", max_length=20_000)
    signoff_roles: list[Line] = Field(default_factory=list, max_length=10)


class TemplateIn(Schema):
    team_id: int = Field(ge=1, le=MAX_ID)
    name: Line = Field("", max_length=200, description="Defaults to the Markdown's # title.")
    description: Text = Field("", max_length=2_000)
    sections: list[TemplateSectionIn] | None = Field(
        None, max_length=ts.SECTIONS_MAX, description="The sections, in order."
    )
    markdown: Text | None = Field(
        None, description="Instead of `sections`: a checklist, a heading per section."
    )
    copy_of: int | None = Field(
        None, ge=1, le=MAX_ID, description="Instead of `sections`: a template to copy."
    )


class TemplateUpdateIn(Schema):
    name: Line = Field(max_length=200)
    description: Text = Field("", max_length=2_000)
    sections: list[TemplateSectionIn] | None = Field(
        None,
        max_length=ts.SECTIONS_MAX,
        description="The whole new list, in order; sections left out are removed.",
    )


class ImportIn(Schema):
    team_id: int = Field(ge=1, le=MAX_ID)
    template_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Defaults to the built-in checklist."
    )
    markdown: Text = Field(description="The document (UTF-8 text).")
    title: Line = Field("", description="Defaults to the document's # title.")
    assignments: dict[str, str] = Field(
        default_factory=dict,
        description=f'Heading index -> section key, or "{importing.OWN_SECTION}" for a '
        "section of its own. Headings left out keep their match.",
    )
    dry_run: bool = Field(False, description="Only answer the matching; create nothing.")


class MatchOut(Schema):
    index: int
    heading: str
    key: str = Field(description=f'A section key, or "{importing.OWN_SECTION}".')
    how: Literal["key", "exact", "close", ""]
    ratio: float


class ImportPreviewOut(Schema):
    title: str
    summary: str
    exported: bool = Field(description="The document is a Crit export, read back exactly.")
    sections: list[TemplateSectionOut]
    matches: list[MatchOut]


def _sections(template: Template) -> list[dict[str, Any]]:
    return [
        {
            "key": s.key,
            "position": s.position,
            "title": s.title,
            "guidance": s.guidance,
            "signoff_roles": list(s.signoff_roles),
        }
        for s in template.sections.all()
    ]


def template_data(template: Template) -> dict[str, Any]:
    role = getattr(template, "_role", None)
    return {
        "id": template.pk,
        "name": template.name,
        "description": template.description,
        "team": {"id": template.team.pk, "name": template.team.name} if template.team else None,
        "builtin": template.team_id is None,
        "version": template.version,
        "can_edit": template.team_id is not None and role == "owner",
        "sections": _sections(template),
    }


def _detail(user, template_id: int) -> dict[str, Any]:
    access = selectors.template_get_for(user, template_id)
    template = access.template
    template._role = access.role  # type: ignore[attr-defined]
    return template_data(template)


def _drafts(sections: list[TemplateSectionIn]) -> list[ts.SectionDraft]:
    return [
        ts.SectionDraft(
            title=s.title, guidance=s.guidance, signoff_roles=tuple(s.signoff_roles), key=s.key
        )
        for s in sections
    ]


def _too_large(text: str) -> PayloadTooLarge:
    size = len(text.encode("utf-8", "surrogatepass"))
    return PayloadTooLarge(field="markdown", limit=importing.max_bytes(), unit="bytes", size=size)


@router.get("/templates", response=list[TemplateOut], summary="Templates I can use")
@paginate(Page, serialize=template_data)
def template_list(request: HttpRequest):
    """The built-in checklist and the templates of the caller's teams."""
    return selectors.template_list_shown(
        fetched_by=request.auth  # type: ignore[attr-defined]
    ).prefetch_related("sections")


@router.post(
    "/templates",
    response={201: TemplateOut, 403: ErrorOut, 413: TooLargeOut, 422: ValidationErrorOut},
    summary="Create a team template",
)
def template_create(request: HttpRequest, payload: TemplateIn):
    """Owners of the team only. Give `sections`, or `markdown` (a checklist), or `copy_of`
    (the built-in checklist or one of the team's templates)."""
    user = request.auth  # type: ignore[attr-defined]
    team = selectors.teams_for_new_design(fetched_by=user).filter(pk=payload.team_id).first()
    if team is None:
        raise errors.validation_error("team_id", "No such team among yours.")
    given = [payload.sections is not None, payload.markdown is not None, payload.copy_of]
    if sum(bool(g) for g in given) != 1:
        raise errors.validation_error(
            None, "Give exactly one of `sections`, `markdown` or `copy_of`."
        )
    try:
        if payload.markdown is not None:
            template = ts.template_create_from_markdown(
                team=team,
                text=payload.markdown,
                name=payload.name,
                description=payload.description,
                created_by=user,
            )
        elif payload.copy_of:
            source = selectors.template_list(fetched_by=user).filter(pk=payload.copy_of).first()
            if source is None:
                raise errors.validation_error("copy_of", "No such template.")
            template = ts.template_copy(
                source=source, team=team, name=payload.name, created_by=user
            )
        else:
            template = ts.template_create(
                team=team,
                name=payload.name,
                description=payload.description,
                sections=_drafts(payload.sections or []),
                created_by=user,
            )
    except importing.ImportTooLarge as exc:
        raise _too_large(payload.markdown or "") from exc
    except ValidationError as exc:
        raise errors.from_django(exc, rename={"source": "copy_of"}) from exc
    return Status(201, _detail(user, template.pk))


@router.get(
    "/templates/{template_id}",
    response={200: TemplateOut, 404: ErrorOut},
    summary="A template with its sections",
)
def template_detail(request: HttpRequest, template_id: TemplateId):
    return _detail(request.auth, template_id)  # type: ignore[attr-defined]


@router.put(
    "/templates/{template_id}",
    response={200: TemplateOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Edit a team template",
)
def template_update(request: HttpRequest, template_id: TemplateId, payload: TemplateUpdateIn):
    """Owners of the team only; the built-in checklist cannot be edited. A change makes a
    new version; designs made from earlier versions keep their sections."""
    user = request.auth  # type: ignore[attr-defined]
    access = selectors.template_get_for(user, template_id, for_edit=True)
    ts.template_update(
        template=access.template,
        name=payload.name,
        description=payload.description,
        sections=None if payload.sections is None else _drafts(payload.sections),
        edited_by=user,
    )
    return _detail(user, template_id)


@router.post(
    "/designs/import",
    response={
        200: ImportPreviewOut,
        201: DesignOut,
        413: TooLargeOut,
        422: ValidationErrorOut,
    },
    summary="Import a Markdown document as a design",
)
def design_import(request: HttpRequest, payload: ImportIn):
    """Headings become sections, matched to the template's (by key for a Crit export, then
    the same title, then a close one); text before the first heading is the summary. With
    `dry_run` the answer is the matching (200) and nothing is created; otherwise the design
    (201), all or nothing."""
    user = request.auth  # type: ignore[attr-defined]
    limit_chars(payload.title, field="title", limit=title_limit())
    team = selectors.teams_for_new_design(fetched_by=user).filter(pk=payload.team_id).first()
    if team is None:
        raise errors.validation_error("team_id", "No such team among yours.")
    templates = selectors.template_list(fetched_by=user)
    if payload.template_id is None:
        template = templates.filter(is_default=True).first()
    else:
        template = templates.filter(pk=payload.template_id).first()
    if template is None:
        raise errors.validation_error("template_id", "No such template.")
    assignments: dict[int, str] = {}
    for index, key in payload.assignments.items():
        if not index.isdigit() or len(index) > 6:
            raise errors.validation_error("assignments", f"“{index}” is not a heading index.")
        assignments[int(index)] = key
    try:
        if payload.dry_run:
            plan = importing.import_plan(text=payload.markdown, template=template)
            return Status(200, _preview(plan, template, assignments))
        design = importing.design_import(
            team=team,
            template=template,
            text=payload.markdown,
            title=payload.title,
            assignments=assignments,
            created_by=user,
        )
    except importing.ImportTooLarge as exc:
        raise _too_large(payload.markdown) from exc
    except ValidationError as exc:
        raise errors.from_django(exc) from exc
    access = selectors.design_get_for(user, design.pk)
    sections = list(selectors.design_sections(design=access.design))
    return Status(201, design_data(access.design, can_edit=access.can_edit, sections=sections))


def _preview(
    plan: importing.ImportPlan, template: Template, assignments: dict[int, str]
) -> dict[str, Any]:
    return {
        "title": plan.document.title,
        "summary": plan.document.summary,
        "exported": plan.document.exported,
        "sections": _sections(template),
        "matches": [
            {
                "index": m.part.index,
                "heading": m.part.heading,
                "key": assignments.get(m.part.index, m.key),
                "how": m.how,
                "ratio": m.ratio,
            }
            for m in plan.matches
        ],
    }
