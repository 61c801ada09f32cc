"""Section sign-offs: each section's owner and required sign-offs with their state, setting
them, and giving or withdrawing a sign-off, over the reviews services."""

from datetime import datetime
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from accounts.models import TeamRole, User
from accounts.selectors import user_find
from api.v1 import errors
from api.v1.errors import ErrorOut, ValidationErrorOut
from api.v1.schemas import MAX_ID, SLUG_PATTERN, Line, StatusName, UserRef
from designs import selectors as design_selectors
from designs.models import Design
from reviews import services
from reviews.selectors import signoffs as selectors

router = Router(tags=["sign-offs"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
SectionKey = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=100)]
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}


class RequirementOut(Schema):
    kind: Literal["person", "role"]
    username: str | None = Field(description="The named person (kind person).")
    role: str | None = Field(description="The team role (kind role).")
    state: Literal["given", "missing", "reset"] = Field(
        description="given on the current version, missing, or reset by an edit since."
    )
    signed_by: str | None = Field(description="Who gave (or had given, if reset) it.")
    signed_version: int | None
    signed_at: datetime | None


class SectionSignoffsOut(Schema):
    key: str
    title: str
    version: int
    owner: UserRef | None
    complete: bool
    required: list[RequirementOut]


class DesignSignoffsOut(Schema):
    design_status: StatusName
    complete: bool = Field(description="Every required sign-off is given.")
    sections: list[SectionSignoffsOut]


class SignoffSettingsIn(Schema):
    owner: Line | None = Field(None, max_length=254, description="Username; null for nobody.")
    people: list[Annotated[Line, Field(max_length=254)]] = Field(
        default_factory=list, max_length=20, description="Usernames whose sign-off is needed."
    )
    roles: list[Annotated[Line, Field(max_length=50)]] = Field(
        default_factory=list, max_length=20, description="Team roles one holder of signs for."
    )


class SignoffIn(Schema):
    role: Line | None = Field(
        None, max_length=50, description="Sign as a holder of this role; null: in your name."
    )


def _state_data(state: selectors.SectionSignoffState) -> dict:
    rows = []
    for row in state.rows:
        requirement, last = row.requirement, row.last
        shown = last if row.state != selectors.MISSING else None
        rows.append(
            {
                "kind": "person" if requirement.user_id else "role",
                "username": requirement.user.username if requirement.user else None,
                "role": requirement.role.name if requirement.role else None,
                "state": row.state,
                "signed_by": shown.user.username if shown else None,
                "signed_version": shown.version if shown else None,
                "signed_at": shown.created_at if shown else None,
            }
        )
    section = state.section
    return {
        "key": section.key,
        "title": section.title,
        "version": section.version,
        "owner": {"id": state.owner.pk, "username": state.owner.username} if state.owner else None,
        "complete": state.complete,
        "required": rows,
    }


def _design_data(design: Design, user: User) -> dict:
    design.refresh_from_db(fields=["status"])
    sections = list(design_selectors.design_sections(design=design))
    signoffs = selectors.design_signoffs(design=design, sections=sections, viewer=user)
    return {
        "design_status": design.status,
        "complete": not signoffs.missing,
        "sections": [_state_data(s) for s in signoffs.sections],
    }


def _role(design: Design, name: str | None, *, field: str) -> TeamRole | None:
    if name is None:
        return None
    role = TeamRole.objects.filter(team_id=design.team_id, name__iexact=name).first()
    if role is None:
        raise errors.validation_error(field, f"The team has no role “{name}”.")
    return role


def _person(name: str, *, field: str) -> User:
    user = user_find(name)
    if user is None:
        raise errors.validation_error(field, f"No user goes by “{name}”.")
    return user


@router.get(
    "/designs/{design_id}/signoffs",
    response={200: DesignSignoffsOut, 404: ErrorOut},
    summary="Sign-off state of every section",
)
def signoff_list(request: HttpRequest, design_id: Id):
    """Each section's owner and required sign-offs, with who gave each and on what version."""
    user = request.auth  # type: ignore[attr-defined]
    design = design_selectors.design_get_for(user, design_id).design
    return _design_data(design, user)


@router.put(
    "/designs/{design_id}/sections/{key}/signoff-settings",
    response={200: DesignSignoffsOut, **WRITE_ERRORS},
    summary="Set a section's owner and required sign-offs",
)
def signoff_settings_set(
    request: HttpRequest, design_id: Id, key: SectionKey, payload: SignoffSettingsIn
):
    """Team members only. Replaces the section's requirements: those left out go (sign-offs
    already given stay in the history), those kept keep their sign-offs."""
    user = request.auth  # type: ignore[attr-defined]
    access, section = design_selectors.section_get_for(user, design_id, key, for_edit=True)
    design = access.design
    owner = _person(payload.owner, field="owner") if payload.owner else None
    people = [_person(name, field="people") for name in payload.people]
    roles = [_role(design, name, field="roles") for name in payload.roles]
    try:
        services.section_signoff_settings_set(
            section=section,
            owner=owner,
            people=people,
            roles=[r for r in roles if r is not None],
            set_by=user,
        )
    except ValidationError as exc:
        raise errors.from_django(exc) from exc
    return _design_data(design, user)


@router.post(
    "/designs/{design_id}/sections/{key}/signoffs",
    response={201: DesignSignoffsOut, **WRITE_ERRORS},
    summary="Sign off a section",
)
def signoff_give(request: HttpRequest, design_id: Id, key: SectionKey, payload: SignoffIn):
    """Sign off the section's current version in your own name (if it names you) or as a
    holder of `role` (if it requires that role). Signing again changes nothing."""
    user = request.auth  # type: ignore[attr-defined]
    access, section = design_selectors.section_get_for(user, design_id, key)
    role = _role(access.design, payload.role, field="role")
    services.signoff_give(section=section, given_by=user, role=role)
    return Status(201, _design_data(access.design, user))


@router.delete(
    "/designs/{design_id}/sections/{key}/signoffs",
    response={204: None, **WRITE_ERRORS},
    summary="Withdraw your sign-off",
)
def signoff_withdraw(
    request: HttpRequest,
    design_id: Id,
    key: SectionKey,
    role: Annotated[Line | None, Query(max_length=50)] = None,
):
    """Take back your sign-off (given in your name, or as a holder of `role`). Nothing to
    take back is no error."""
    user = request.auth  # type: ignore[attr-defined]
    access, section = design_selectors.section_get_for(user, design_id, key)
    services.signoff_withdraw(
        section=section, withdrawn_by=user, role=_role(access.design, role, field="role")
    )
    return Status(204, None)
