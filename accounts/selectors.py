"""Reads for users and teams that depend on who asks."""

import unicodedata

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.db.models.functions import Lower
from django.http import Http404

from accounts.models import Invitation, Membership, Team, TeamRole, User


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
    """The team's members, each with the team roles they hold (two queries)."""
    return (
        team.memberships.select_related("user")
        .prefetch_related("team_roles")
        .order_by("user__username")
    )


def team_role_list(*, team: Team) -> QuerySet[TeamRole]:
    """The roles ``team`` defines, by name (the caller belongs to the team)."""
    return TeamRole.objects.filter(team=team).order_by(Lower("name"), "pk")


def team_role_get(*, team: Team, role_id: int) -> TeamRole:
    """A role of ``team`` (the caller already belongs to it), else 404."""
    role = TeamRole.objects.filter(team=team, pk=role_id).first()
    if role is None:
        raise Http404("No such role.")
    return role


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
    """The active user going by ``identifier``: a username (any case), or an email address
    (any case) that its owner has verified. An unverified address finds nobody, so giving
    someone else's address at sign-up grants nothing."""
    identifier = unicodedata.normalize("NFKC", identifier).strip()
    user = User.objects.filter(username__iexact=identifier, is_active=True).first()
    if user is None and "@" in identifier:
        user = user_by_verified_email(identifier)
    return user


def user_by_verified_email(email: str) -> User | None:
    """The active user who verified ``email`` (any case), if any. Uses the unique index on
    the lowercased verified address."""
    email = email.strip().lower()
    if not email:
        return None
    return (
        User.objects.alias(email_ci=Lower("email"))
        .filter(email_ci=email, email_verified=True, is_active=True)
        .exclude(email="")
        .first()
    )


_VERIFY_SALT = "accounts.email-verification"


def email_verification_token(user: User) -> str:
    """A signed, timestamped token naming ``user`` and their current address."""
    return signing.dumps({"u": user.pk, "e": user.email}, salt=_VERIFY_SALT)


def user_for_verification_token(token: str) -> User:
    """The user a verification token names, while it is fresh and the account still has the
    address it was made for. Raises ValidationError with a message for people otherwise."""
    try:
        data = signing.loads(token, salt=_VERIFY_SALT, max_age=settings.CRIT_EMAIL_VERIFY_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ValidationError(
            "This link has expired. Sign in and ask for a new one from your account page."
        ) from exc
    except signing.BadSignature as exc:
        raise ValidationError("This link is not valid. Check that you copied all of it.") from exc
    user = None
    if isinstance(data, dict) and isinstance(data.get("u"), int):
        user = User.objects.filter(pk=data["u"], is_active=True).first()
    if user is None or not user.email or user.email != data.get("e"):
        raise ValidationError("This link is for an address this account no longer has.")
    return user
