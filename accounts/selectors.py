"""Reads for users and teams that depend on who asks."""

from django.db.models import Count, QuerySet
from django.http import Http404

from accounts.models import Invitation, Membership, Team, User


def team_list(*, fetched_by: User) -> QuerySet[Team]:
    """The viewer's teams, each with ``member_count``: all its members, not only the viewer
    (the teams are picked by a subquery, so the count's join is not narrowed to them)."""
    mine = Membership.objects.filter(user=fetched_by).values("team_id")
    return (
        Team.objects.filter(pk__in=mine)
        .annotate(member_count=Count("memberships", distinct=True))
        .order_by("name", "pk")
    )


def team_get_for(user: User, team_id: int, *, for_manage: bool = False) -> Team:
    """The team if ``user`` belongs to it, else 404. ``for_manage`` also needs the owner role."""
    if not user.is_authenticated:
        raise Http404("No such team.")
    membership = (
        Membership.objects.select_related("team").filter(team_id=team_id, user=user).first()
    )
    if membership is None:
        raise Http404("No such team.")
    if for_manage and membership.role != Membership.Role.OWNER:
        raise PermissionError("Only a team owner can do that.")
    return membership.team


def team_memberships(*, team: Team) -> QuerySet[Membership]:
    return team.memberships.select_related("user").order_by("user__username")


def team_role_of(*, team: Team, user: User) -> str | None:
    return Membership.objects.filter(team=team, user=user).values_list("role", flat=True).first()


def invitation_list_pending(*, fetched_by: User) -> QuerySet[Invitation]:
    """The invitations waiting for the viewer's answer, newest first."""
    if not fetched_by.is_authenticated:
        return Invitation.objects.none()
    return (
        Invitation.objects.filter(invitee=fetched_by, status=Invitation.Status.PENDING)
        .select_related("team", "invited_by")
        .order_by("-created_at", "-pk")
    )


def invitation_get_for(user: User, invitation_id: int) -> Invitation:
    """An invitation addressed to ``user``, else 404: nobody else learns it exists, not
    even the team that sent it."""
    if not user.is_authenticated:
        raise Http404("No such invitation.")
    invitation = (
        Invitation.objects.select_related("team", "invited_by")
        .filter(pk=invitation_id, invitee=user)
        .first()
    )
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def team_member_get(*, team: Team, user_id: int) -> Membership:
    """A member of ``team`` (the caller already belongs to it), else 404."""
    membership = team.memberships.select_related("user").filter(user_id=user_id).first()
    if membership is None:
        raise Http404("No such member.")
    return membership


def user_find(identifier: str) -> User | None:
    identifier = identifier.strip()
    user = User.objects.filter(username__iexact=identifier, is_active=True).first()
    if user is None and "@" in identifier:
        user = User.objects.filter(email__iexact=identifier, is_active=True).first()
    return user
