"""Reads for users and teams that depend on who asks."""

from django.db.models import Count, QuerySet
from django.http import Http404

from accounts.models import Membership, Team, User


def team_list(*, fetched_by: User) -> QuerySet[Team]:
    return (
        Team.objects.filter(memberships__user=fetched_by)
        .annotate(member_count=Count("memberships", distinct=True))
        .order_by("name")
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


def user_find(identifier: str) -> User | None:
    identifier = identifier.strip()
    user = User.objects.filter(username__iexact=identifier, is_active=True).first()
    if user is None and "@" in identifier:
        user = User.objects.filter(email__iexact=identifier, is_active=True).first()
    return user
