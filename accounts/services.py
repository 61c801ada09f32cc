"""Writes for users and teams."""

import logging
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Team, User
from accounts.selectors import user_find
from config.ratelimit import wait_words, window_hit

logger = logging.getLogger(__name__)

# What an inviter is told, whoever the name or address belongs to (or none).
INVITATION_SENT = "If that person has an account, they have been invited."


@transaction.atomic
def user_create(*, username: str, email: str = "", password: str) -> User:
    """Create a user with a hashed password. Raises ValidationError if name or email is taken."""
    username = username.strip()
    email = email.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "That username is taken."})
    if email and User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "An account with that email already exists."})
    user = User(username=username, email=email)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def user_password_set(*, user: User, password: str) -> None:
    """Replace ``user``'s password (hashed). Other sessions of the user stop being valid."""
    user.set_password(password)
    user.save(update_fields=["password"])


@transaction.atomic
def team_create(*, name: str, created_by: User) -> Team:
    """Create a team with its creator as owner. Names are unique per creator (ignoring
    case) and no further, so the answer never depends on other people's teams. Raises
    ValidationError for an empty name or one the creator already gave a team."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A team needs a name."})
    taken = ValidationError({"name": "You have already created a team with that name."})
    if Team.objects.filter(name__iexact=name, created_by=created_by).exists():
        raise taken
    try:
        with transaction.atomic():
            team = Team.objects.create(name=name, created_by=created_by)
    except IntegrityError as exc:
        raise taken from exc
    Membership.objects.create(team=team, user=created_by, role=Membership.Role.OWNER)
    return team


def _require_owner(*, team: Team, user: User, action: str) -> None:
    if not Membership.objects.filter(team=team, user=user, role=Membership.Role.OWNER).exists():
        raise PermissionError(f"Only a team owner can {action}.")


def _validate_role(role: str) -> None:
    if role not in Membership.Role.values:
        raise ValidationError({"role": "Role must be owner or member."})


@transaction.atomic
def team_member_seed(*, team: Team, user: User, role: str = Membership.Role.MEMBER) -> Membership:
    """Put ``user`` in ``team`` with ``role`` without asking them: only for commands that
    build demo or benchmark data, never for anything a user asks. Idempotent: a member
    already there gets ``role``."""
    _validate_role(role)
    membership, created = Membership.objects.get_or_create(
        team=team, user=user, defaults={"role": role}
    )
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
    return membership


class InvitationRateLimited(ValidationError):
    """Over the invitation limit: a ValidationError about ``user`` that says when to try
    again; pages and the API answer it with 429 and ``Retry-After``."""

    def __init__(self, *, limit: int, retry_after: int):
        super().__init__(
            {
                "user": f"You can send at most {limit} invitations an hour. "
                f"Try again in {wait_words(retry_after)}."
            }
        )
        self.retry_after = retry_after


def _invitation_allowance_take(*, user: User) -> None:
    """Count one invitation attempt by ``user``; InvitationRateLimited once over
    CRIT_INVITATIONS_PER_HOUR (0 turns the limit off). Every attempt counts, whether or
    not it names someone, so the limit tells nothing either."""
    limit = settings.CRIT_INVITATIONS_PER_HOUR
    if not limit:
        return
    window = window_hit(f"invitations:{user.pk}", window=60 * 60)
    if window.count > limit:
        raise InvitationRateLimited(limit=limit, retry_after=window.retry_after)


@transaction.atomic
def team_invite(
    *, team: Team, identifier: str, role: str = Membership.Role.MEMBER, invited_by: User
) -> None:
    """Invite the person going by ``identifier`` (username or email) to ``team``.

    Owners only (PermissionError). Returns nothing and behaves the same to the caller
    whether the person exists, is already a member or already invited: only a new pending
    invitation is written (at most one per person and team), and the invitee is emailed
    after commit if their address is known. Raises ValidationError for an empty name or a
    bad role, InvitationRateLimited over the hourly limit.
    """
    _require_owner(team=team, user=invited_by, action="invite people")
    _validate_role(role)
    identifier = identifier.strip()
    if not identifier:
        raise ValidationError({"user": "Give a username or an email address."})
    _invitation_allowance_take(user=invited_by)
    invitee = user_find(identifier)
    if invitee is None or Membership.objects.filter(team=team, user=invitee).exists():
        return
    try:
        with transaction.atomic():
            invitation, created = Invitation.objects.get_or_create(
                team=team,
                invitee=invitee,
                status=Invitation.Status.PENDING,
                defaults={"role": role, "invited_by": invited_by},
            )
    except IntegrityError:  # a concurrent invitation of the same person won
        return
    if created:
        from accounts.tasks import invitation_email  # tasks import services

        transaction.on_commit(partial(invitation_email.delay, invitation.pk))


def invitation_email_send(*, invitation_id: int) -> str:
    """Email the invitee about a pending invitation, once. Answers what happened: "sent",
    "skipped" (no address, answered or already emailed) or "missing"."""
    invitation = (
        Invitation.objects.select_related("team", "invitee", "invited_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        return "missing"
    invitee = invitation.invitee
    if (
        invitation.status != Invitation.Status.PENDING
        or invitation.emailed_at is not None
        or not invitee.email
        or not invitee.is_active
    ):
        return "skipped"
    link = settings.SITE_URL.rstrip("/") + reverse("teams:invitations")
    send_mail(
        subject=f"[Crit] {invitation.invited_by.username} invited you to {invitation.team.name}",
        message="\n".join(
            [
                f"{invitation.invited_by.username} invited you to join the team "
                f"“{invitation.team.name}” on Crit as {invitation.get_role_display().lower()}.",
                "",
                "You join only if you accept. Accept or decline here:",
                link,
            ]
        ),
        from_email=None,
        recipient_list=[invitee.email],
    )
    Invitation.objects.filter(pk=invitation.pk).update(emailed_at=timezone.now())
    return "sent"


def _pending_for_answer(*, invitation: Invitation, answered_by: User) -> Invitation:
    locked = Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
    if locked is None or locked.invitee_id != answered_by.pk:
        raise Http404("No such invitation.")
    if locked.status != Invitation.Status.PENDING:
        raise ValidationError(f"You have already {locked.status} this invitation.")
    return locked


@transaction.atomic
def invitation_accept(*, invitation: Invitation, accepted_by: User) -> Membership:
    """The invitee joins the team with the invited role. Only the invitee may (Http404 for
    anyone else); ValidationError once the invitation was answered. If they are already a
    member, their role stays as it is."""
    invitation = _pending_for_answer(invitation=invitation, answered_by=accepted_by)
    membership, _ = Membership.objects.get_or_create(
        team_id=invitation.team_id, user=accepted_by, defaults={"role": invitation.role}
    )
    invitation.status = Invitation.Status.ACCEPTED
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["status", "answered_at", "updated_at"])
    return membership


@transaction.atomic
def invitation_decline(*, invitation: Invitation, declined_by: User) -> None:
    """The invitee says no; the team is not told who. Only the invitee may (Http404 for
    anyone else); ValidationError once the invitation was answered."""
    invitation = _pending_for_answer(invitation=invitation, answered_by=declined_by)
    invitation.status = Invitation.Status.DECLINED
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["status", "answered_at", "updated_at"])


def _owner_count_locked(*, team: Team) -> int:
    """The team's owners, their rows locked so two owners stepping down at once cannot
    both see the other still there."""
    return len(
        Membership.objects.select_for_update()
        .filter(team=team, role=Membership.Role.OWNER)
        .values_list("pk", flat=True)
    )


LAST_OWNER = "A team must keep at least one owner: make someone else an owner first."


@transaction.atomic
def team_member_role_set(*, team: Team, user: User, role: str, changed_by: User) -> Membership:
    """Make a member an owner or a plain member. Owners only (PermissionError); Http404 if
    ``user`` is not in the team; ValidationError for a bad role or for demoting the last
    owner: a team always keeps an owner."""
    _require_owner(team=team, user=changed_by, action="change roles")
    _validate_role(role)
    owners = _owner_count_locked(team=team)
    membership = Membership.objects.select_for_update().filter(team=team, user=user).first()
    if membership is None:
        raise Http404("No such member.")
    if membership.role == role:
        return membership
    if membership.role == Membership.Role.OWNER and owners <= 1:
        raise ValidationError({"role": LAST_OWNER})
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    return membership


@transaction.atomic
def team_member_remove(*, team: Team, user: User, removed_by: User) -> None:
    """Remove a member. Owners may remove anyone; a member may leave. A team keeps one owner."""
    is_owner = Membership.objects.filter(
        team=team, user=removed_by, role=Membership.Role.OWNER
    ).exists()
    if not is_owner and removed_by != user:
        raise PermissionError("Only a team owner can remove other members.")
    owners = _owner_count_locked(team=team)
    membership = Membership.objects.select_for_update().filter(team=team, user=user).first()
    if membership is None:
        return
    if membership.role == Membership.Role.OWNER and owners <= 1:
        raise ValidationError(LAST_OWNER)
    membership.delete()
