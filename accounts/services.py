"""Writes for users and teams."""

import logging
import re
import unicodedata
from functools import partial

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import tasks
from accounts.models import Invitation, Membership, Team, TeamRole, User
from accounts.selectors import (
    email_verification_token,
    user_by_verified_email,
    user_find,
    user_for_verification_token,
)
from accounts.signals import membership_changed, role_changed
from config.mail import header_text
from config.ratelimit import LimitReached, allowance_take

logger = logging.getLogger(__name__)

# What an inviter is told, whoever the name or address belongs to (or none).
INVITATION_SENT = "If that person has an account, they have been invited."
USERNAME_RULE = re.compile(r"^[A-Za-z0-9._-]+\Z")
USERNAME_RULE_MESSAGE = (
    "Use only ASCII letters (a-z, A-Z), digits, dots, dashes and underscores: no accents or "
    "letters from other alphabets, so no name can pass for another."
)


def username_normalise(username: str) -> str:
    """NFKC form, trimmed: full-width and other compatibility forms become plain letters."""
    return unicodedata.normalize("NFKC", username).strip()


@transaction.atomic
def user_create(
    *, username: str, email: str = "", password: str, email_verified: bool = False
) -> User:
    """Create a user with a hashed password. The username is NFKC-normalised and must be
    ASCII letters, digits, dots, dashes and underscores (no look-alikes); the email is stored
    lowercased and starts unverified unless ``email_verified``. An email already given by
    another account is accepted (only a verified address is unique), so creating an account
    says nothing about whether an address is known. Raises ValidationError if the username
    breaks the rule or is taken."""
    username = username_normalise(username)
    if not USERNAME_RULE.match(username):
        raise ValidationError({"username": USERNAME_RULE_MESSAGE})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "That username is taken."})
    user = User(username=username, email=email.strip().lower(), email_verified=email_verified)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ValidationError({"username": "That username is taken."}) from exc
    return user


@transaction.atomic
def user_signup(*, username: str, email: str = "", password: str) -> User:
    """Create an account from the sign-up form and mail its address (after commit): a link
    to confirm it, or, when another account has already confirmed that address, a note to
    that address that someone tried to sign up with it. Either way the account is created
    and the answer is the same, so sign-up tells nobody whether an address is known."""
    user = user_create(username=username, email=email, password=password)
    if user.email:
        owner = user_by_verified_email(user.email)
        if owner is not None:
            transaction.on_commit(partial(tasks.signup_attempt_mail.delay, owner.pk))
        else:
            transaction.on_commit(partial(tasks.email_verification_mail.delay, user.pk))
    return user


def _mail(*, user: User, subject: str, template: str, context: dict) -> None:
    body = render_to_string(template, {"user": user, "site_url": _site_url(), **context})
    send_mail(subject=subject, message=body, from_email=None, recipient_list=[user.email])


def _site_url() -> str:
    return settings.SITE_URL.rstrip("/")


def email_verification_mail_send(*, user: User) -> bool:
    """Mail ``user`` a signed link (valid ``CRIT_EMAIL_VERIFY_MAX_AGE`` seconds) that
    confirms their address. Sends nothing (False) without an address or once it is
    verified."""
    if not user.email or user.email_verified or not user.is_active:
        return False
    token = email_verification_token(user)
    _mail(
        user=user,
        subject="[Crit] Confirm your email address",
        template="accounts/email/verify.txt",
        context={
            "link": _site_url() + reverse("accounts:email_verify", args=[token]),
            "days": max(1, settings.CRIT_EMAIL_VERIFY_MAX_AGE // 86400),
        },
    )
    return True


def email_verification_request(*, user: User) -> bool:
    """Queue a new confirmation link for ``user`` (after commit). False, and nothing queued,
    without an address or once it is verified."""
    if not user.email or user.email_verified:
        return False
    transaction.on_commit(partial(tasks.email_verification_mail.delay, user.pk))
    return True


def signup_attempt_mail_send(*, owner: User) -> None:
    """Tell the owner of a verified address that someone signed up with it."""
    _mail(
        user=owner,
        subject="[Crit] Someone tried to sign up with your email address",
        template="accounts/email/signup_attempt.txt",
        context={
            "sign_in": _site_url() + reverse("accounts:login"),
            "reset": _site_url() + reverse("accounts:password_reset"),
        },
    )


@transaction.atomic
def user_email_verify(*, token: str) -> User:
    """Mark the address in ``token`` verified for its account. Idempotent. Raises
    ValidationError when the link is forged, expired, for an address the account no longer
    has, or when another account has confirmed that address first."""
    user = user_for_verification_token(token)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.email_verified:
        return user
    if user_by_verified_email(user.email) is not None:
        raise ValidationError("Another account has already confirmed this address.")
    user.email_verified = True
    try:
        with transaction.atomic():
            user.save(update_fields=["email_verified"])
    except IntegrityError as exc:
        raise ValidationError("Another account has already confirmed this address.") from exc
    return user


def password_reset_users(email: str) -> list[User]:
    """Who a password reset for ``email`` is mailed to: the account that verified the
    address, else the active accounts that gave it unverified (the mail itself proves the
    mailbox). Accounts without a usable password are left out."""
    owner = user_by_verified_email(email)
    if owner is not None:
        users = [owner]
    else:
        users = list(
            User.objects.alias(email_ci=Lower("email")).filter(
                email_ci=email.strip().lower(), is_active=True
            )
        )
    return [user for user in users if user.email and user.has_usable_password()]


def password_reset_mail_send(*, user: User) -> None:
    """Mail ``user`` a one-time link to set a new password (Django's token generator: it
    stops working once the password changes or after PASSWORD_RESET_TIMEOUT)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    _mail(
        user=user,
        subject="[Crit] Set a new password",
        template="accounts/email/password_reset.txt",
        context={
            "link": _site_url() + reverse("accounts:password_reset_confirm", args=[uid, token]),
            "hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600),
        },
    )


def password_reset_request(*, email: str) -> None:
    """Queue a reset mail (after commit) for each account ``password_reset_users`` names.
    Nothing is sent from the request, so the answer is the same whether or not anyone
    holds the address."""
    for user in password_reset_users(email):
        transaction.on_commit(partial(tasks.password_reset_mail.delay, user.pk))


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


class InvitationRateLimited(LimitReached):
    """Over the invitation limit (a ValidationError about ``user``)."""

    field = "user"


def _invitation_allowance_take(*, user: User) -> None:
    """Count one invitation attempt by ``user``; InvitationRateLimited once over
    CRIT_INVITATIONS_PER_HOUR (0 turns the limit off). Every attempt counts, whether or
    not it names someone, so the limit tells nothing either."""
    limit = settings.CRIT_INVITATIONS_PER_HOUR
    allowance_take(
        name="invitations",
        user_id=user.pk,
        limit=limit,
        window=60 * 60,
        error=InvitationRateLimited,
        message=f"You can send at most {limit} invitations an hour.",
    )


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
        or not invitee.email_verified
        or not invitee.is_active
    ):
        return "skipped"
    link = settings.SITE_URL.rstrip("/") + reverse("teams:invitations")
    send_mail(
        subject=header_text(
            f"[Crit] {invitation.invited_by.username} invited you to {invitation.team.name}"
        ),
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
    membership, joined = Membership.objects.get_or_create(
        team_id=invitation.team_id, user=accepted_by, defaults={"role": invitation.role}
    )
    invitation.status = Invitation.Status.ACCEPTED
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["status", "answered_at", "updated_at"])
    if joined:
        membership_changed.send(
            sender=Membership,
            team=invitation.team,
            member=accepted_by,
            action="joined",
            role=membership.role,
            changed_by=accepted_by,
        )
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
    membership_changed.send(
        sender=Membership,
        team=team,
        member=user,
        action="role_changed",
        role=role,
        changed_by=changed_by,
    )
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
    membership_changed.send(
        sender=Membership,
        team=team,
        member=user,
        action="left" if removed_by == user else "removed",
        role=membership.role,
        changed_by=removed_by,
    )


TEAM_ROLE_NAME = re.compile(r"^[\w][\w .&/+-]*\Z")


def _clean_role_name(name: str) -> str:
    name = " ".join(unicodedata.normalize("NFKC", name).split())
    if not name:
        raise ValidationError({"name": "A role needs a name."})
    if len(name) > 50:
        raise ValidationError({"name": "Keep a role's name under 50 characters."})
    if not TEAM_ROLE_NAME.match(name):
        raise ValidationError(
            {"name": "Use letters, digits, spaces and . & / + - only, starting with a letter."}
        )
    return name


@transaction.atomic
def team_role_add(*, team: Team, name: str, added_by: User) -> TeamRole:
    """Define a role (e.g. "security", "SRE") in ``team``. Owners only (PermissionError);
    ValidationError for an empty or malformed name or one the team has already (ignoring
    case). Sends ``role_changed`` ("added")."""
    _require_owner(team=team, user=added_by, action="add roles")
    name = _clean_role_name(name)
    taken = ValidationError({"name": f"The team already has a role called “{name}”."})
    if TeamRole.objects.filter(team=team, name__iexact=name).exists():
        raise taken
    try:
        with transaction.atomic():
            role = TeamRole.objects.create(team=team, name=name)
    except IntegrityError as exc:
        raise taken from exc
    role_changed.send(
        sender=TeamRole, team=team, role=role, action="added", member=None, changed_by=added_by
    )
    return role


@transaction.atomic
def team_role_remove(*, team: Team, role: TeamRole, removed_by: User) -> None:
    """Delete a role of ``team``: its holders no longer hold it and the sign-offs that
    required it are no longer required (those given stay in the history). Owners only
    (PermissionError); Http404 for a role of another team. Sends ``role_changed``
    ("removed") before the row goes."""
    _require_owner(team=team, user=removed_by, action="remove roles")
    if role.team_id != team.pk:
        raise Http404("No such role.")
    holders = list(
        Membership.objects.filter(team=team, team_roles=role).values_list("pk", flat=True)
    )
    role_changed.send(
        sender=TeamRole, team=team, role=role, action="removed", member=None, changed_by=removed_by
    )
    role.delete()
    # The holders' rows move, so pages that show who holds what are drawn anew.
    Membership.objects.filter(pk__in=holders).update(updated_at=timezone.now())


@transaction.atomic
def team_role_assign(
    *, team: Team, role: TeamRole, user: User, held: bool, changed_by: User
) -> Membership:
    """Give ``user`` the role (``held``) or relieve them of it. Owners only
    (PermissionError); Http404 if the role is another team's or ``user`` is not a member.
    Idempotent: nothing is sent when nothing changes; otherwise ``role_changed``
    ("assigned" or "unassigned")."""
    _require_owner(team=team, user=changed_by, action="assign roles")
    if role.team_id != team.pk:
        raise Http404("No such role.")
    membership = Membership.objects.select_for_update().filter(team=team, user=user).first()
    if membership is None:
        raise Http404("No such member.")
    holds = membership.team_roles.filter(pk=role.pk).exists()
    if holds == held:
        return membership
    if held:
        membership.team_roles.add(role)
    else:
        membership.team_roles.remove(role)
    membership.save(update_fields=["updated_at"])
    role_changed.send(
        sender=TeamRole,
        team=team,
        role=role,
        action="assigned" if held else "unassigned",
        member=user,
        changed_by=changed_by,
    )
    return membership
