"""Writes for users and teams."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Membership, Team, User
from accounts.selectors import user_find


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
    """Create a team with its creator as owner. Raises ValidationError if the name is taken."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A team needs a name."})
    if Team.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": "A team with that name already exists."})
    try:
        with transaction.atomic():
            team = Team.objects.create(name=name, created_by=created_by)
    except IntegrityError as exc:
        raise ValidationError({"name": "A team with that name already exists."}) from exc
    Membership.objects.create(team=team, user=created_by, role=Membership.Role.OWNER)
    return team


@transaction.atomic
def team_member_add(
    *, team: Team, identifier: str, role: str = Membership.Role.MEMBER, added_by: User
) -> Membership:
    """Add a user (by username or email) to a team. Only owners may add; idempotent on role."""
    if not Membership.objects.filter(team=team, user=added_by, role=Membership.Role.OWNER).exists():
        raise PermissionError("Only a team owner can add members.")
    if role not in Membership.Role.values:
        raise ValidationError({"role": "Role must be owner or member."})
    user = user_find(identifier)
    if user is None:
        raise ValidationError({"user": f"No user goes by “{identifier.strip()}”."})
    membership, created = Membership.objects.get_or_create(
        team=team, user=user, defaults={"role": role}
    )
    if not created and membership.role != role:
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
    membership = Membership.objects.select_for_update().filter(team=team, user=user).first()
    if membership is None:
        return
    if membership.role == Membership.Role.OWNER:
        owners = Membership.objects.filter(team=team, role=Membership.Role.OWNER).count()
        if owners <= 1:
            raise ValidationError("A team must keep at least one owner.")
    membership.delete()
