"""The caller, their teams, team members and invitations."""

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
from api.v1.schemas import (
    MAX_ID,
    InvitationOut,
    InviteIn,
    InviteOut,
    JoinedOut,
    MemberOut,
    MemberRoleIn,
    MeOut,
    TeamIn,
    TeamOut,
)
from api.v1.serializers import invitation_data, team_data, team_ref, user_ref

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
    "/teams/{team_id}/invitations",
    response={202: InviteOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut, 429: ErrorOut},
    summary="Invite someone to a team",
)
def team_invite(
    request: HttpRequest, team_id: Annotated[int, Path(ge=1, le=MAX_ID)], payload: InviteIn
):
    """Owners only. The person joins only if they accept. The answer is the same whether
    or not the username or email belongs to anyone, is already in the team or already
    invited (then nothing new happens); at most CRIT_INVITATIONS_PER_HOUR attempts an
    hour (429 with `Retry-After`)."""
    user = request.auth  # type: ignore[attr-defined]
    team = selectors.team_get_for(user, team_id)
    try:
        services.team_invite(
            team=team, identifier=payload.username, role=payload.role, invited_by=user
        )
    except services.InvitationRateLimited:
        raise
    except ValidationError as exc:
        raise errors.from_django(exc, rename={"user": "username"}) from exc
    return Status(202, {"detail": services.INVITATION_SENT})


@router.put(
    "/teams/{team_id}/members/{user_id}",
    response={200: MemberOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Set a member's role",
)
def team_member_role(
    request: HttpRequest,
    team_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    user_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    payload: MemberRoleIn,
):
    """Owners only. Refused (422 on `role`) when it would leave the team without an owner."""
    user = request.auth  # type: ignore[attr-defined]
    team = selectors.team_get_for(user, team_id)
    membership = selectors.team_member_get(team=team, user_id=user_id)
    try:
        membership = services.team_member_role_set(
            team=team, user=membership.user, role=payload.role, changed_by=user
        )
    except ValidationError as exc:
        raise errors.from_django(exc) from exc
    return {"user": user_ref(membership.user), "role": membership.role}


@router.get("/invitations", response=list[InvitationOut], summary="Invitations to me")
@paginate(Page, serialize=invitation_data)
def invitation_list(request: HttpRequest):
    """The caller's invitations still waiting for an answer, newest first."""
    return selectors.invitation_list_pending(fetched_by=request.auth)  # type: ignore[attr-defined]


@router.post(
    "/invitations/{invitation_id}/accept",
    response={200: JoinedOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Accept an invitation",
)
def invitation_accept(request: HttpRequest, invitation_id: Annotated[int, Path(ge=1, le=MAX_ID)]):
    """The invitee only (404 for anyone else): joins the team. 422 once answered."""
    user = request.auth  # type: ignore[attr-defined]
    invitation = selectors.invitation_get_for(user, invitation_id)
    membership = services.invitation_accept(invitation=invitation, accepted_by=user)
    return {"team": team_ref(invitation.team), "role": membership.role}


@router.post(
    "/invitations/{invitation_id}/decline",
    response={204: None, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Decline an invitation",
)
def invitation_decline(request: HttpRequest, invitation_id: Annotated[int, Path(ge=1, le=MAX_ID)]):
    """The invitee only (404 for anyone else). The team is not told. 422 once answered."""
    user = request.auth  # type: ignore[attr-defined]
    invitation = selectors.invitation_get_for(user, invitation_id)
    services.invitation_decline(invitation=invitation, declined_by=user)
    return Status(204, None)
