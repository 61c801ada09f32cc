"""The caller, their teams and team members."""

from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Path, Router
from ninja.pagination import paginate
from ninja.responses import Status

from accounts import selectors, services
from api.v1 import errors
from api.v1.errors import ErrorOut, ValidationErrorOut
from api.v1.pagination import Page
from api.v1.schemas import MAX_ID, MemberIn, MemberOut, MeOut, TeamIn, TeamOut
from api.v1.serializers import team_data, user_ref

router = Router(tags=["people and teams"])


@router.get("/me", response=MeOut, summary="The caller")
def me(request: HttpRequest):
    user = request.auth  # type: ignore[attr-defined]
    return {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "display_name": user.display_name,
        "auth": "token" if getattr(request, "api_token", None) else "session",
    }


@router.get("/teams", response=list[TeamOut], summary="My teams")
@paginate(Page, serialize=team_data)
def team_list(request: HttpRequest):
    return selectors.team_list(fetched_by=request.auth)  # type: ignore[attr-defined]


@router.post("/teams", response={201: TeamOut, 422: ValidationErrorOut}, summary="Create a team")
def team_create(request: HttpRequest, payload: TeamIn):
    """The caller becomes its owner."""
    team = services.team_create(name=payload.name, created_by=request.auth)  # type: ignore[attr-defined]
    return Status(201, {"id": team.pk, "name": team.name, "member_count": 1})


@router.post(
    "/teams/{team_id}/members",
    response={201: MemberOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Add a team member",
)
def team_member_add(
    request: HttpRequest, team_id: Annotated[int, Path(ge=1, le=MAX_ID)], payload: MemberIn
):
    """Owners only. Adding someone already in the team sets their role."""
    user = request.auth  # type: ignore[attr-defined]
    team = selectors.team_get_for(user, team_id)
    try:
        membership = services.team_member_add(
            team=team, identifier=payload.username, role=payload.role, added_by=user
        )
    except ValidationError as exc:
        raise errors.from_django(exc, rename={"user": "username"}) from exc
    return Status(201, {"user": user_ref(membership.user), "role": membership.role})
