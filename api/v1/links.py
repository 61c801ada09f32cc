"""Related designs: a design's links to others ("relates to", "supersedes"), over the same
services and selectors as the pages. Only links whose other design the caller may read
exist here: the others are neither listed nor counted, and answer 404."""

from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Path, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from api.v1 import errors
from api.v1.errors import ErrorOut, ValidationErrorOut
from api.v1.pagination import Page
from api.v1.schemas import MAX_ID, StatusName
from designs import selectors, services
from designs.models import Design
from designs.selectors import RelatedDesign

router = Router(tags=["designs"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
LinkKind = Literal["relates_to", "supersedes"]


class LinkedDesignOut(Schema):
    id: int
    title: str
    status: StatusName


class DesignLinkOut(Schema):
    id: int
    kind: LinkKind
    direction: Literal["outgoing", "incoming"] = Field(
        description="`outgoing`: this design relates to or supersedes `design`; "
        "`incoming`: `design` relates to or supersedes this one."
    )
    label: str = Field(description="As the page shows it: Relates to, Supersedes, Superseded by.")
    design: LinkedDesignOut


class DesignLinkIn(Schema):
    design_id: int = Field(ge=1, le=MAX_ID, description="A design you can see.")
    kind: LinkKind


def link_data(related: RelatedDesign) -> dict:
    other = related.design
    return {
        "id": related.link.pk,
        "kind": related.link.kind,
        "direction": "outgoing" if related.outgoing else "incoming",
        "label": related.label,
        "design": {"id": other.pk, "title": other.title, "status": other.status},
    }


@router.get(
    "/designs/{design_id}/links",
    response={200: list[DesignLinkOut], 404: ErrorOut},
    summary="A design's related designs",
)
@paginate(Page, serialize=link_data)
def design_link_list(request: HttpRequest, design_id: Id):
    """Both ways (links this design made and links to it), oldest first; only those whose
    other design you can see."""
    user = request.auth  # type: ignore[attr-defined]
    design = selectors.design_get_for(user, design_id).design
    return selectors.design_links(design=design, fetched_by=user)


@router.post(
    "/designs/{design_id}/links",
    response={201: DesignLinkOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Link a design to another",
)
def design_link_add(request: HttpRequest, design_id: Id, payload: DesignLinkIn):
    """Team members link their design to any design they can see. One link of a kind per
    pair of designs (either way round); a design cannot link to itself (422)."""
    user = request.auth  # type: ignore[attr-defined]
    design = selectors.design_get_for(user, design_id, for_edit=True).design
    target = Design.objects.filter(pk=payload.design_id).first()
    if target is None:
        raise errors.validation_error("design_id", "No such design among those you can see.")
    try:
        link = services.design_link_add(
            design=design, target=target, kind=payload.kind, added_by=user
        )
    except ValidationError as exc:
        raise errors.from_django(exc, rename={"target": "design_id"}) from exc
    return Status(201, link_data(RelatedDesign(link=link, design=target, outgoing=True)))


@router.delete(
    "/designs/{design_id}/links/{link_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Remove a link",
)
def design_link_remove(request: HttpRequest, design_id: Id, link_id: Id):
    """Team members of either design remove a link from their side (the link goes for
    both); 404 for a link you cannot see."""
    user = request.auth  # type: ignore[attr-defined]
    design = selectors.design_get_for(user, design_id, for_edit=True).design
    link = selectors.design_link_get_for(user, design, link_id)
    services.design_link_remove(design=design, link=link, removed_by=user)
    return Status(204, None)
