"""Writes for personal API tokens."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from api.models import Token

SECRET_PREFIX = "crit_"  # noqa: S105 (a marker, not a secret)
VISIBLE_CHARS = len(SECRET_PREFIX) + 8
# last_used_at is a hint for people, not an audit log: refresh it at most this often.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: Token
    secret: str  # shown once; never stored


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def token_create(*, user: User, name: str) -> IssuedToken:
    """Issue a new token for ``user``. Only its digest is stored; the returned secret is
    the one chance to see it. Raises ValidationError for a missing or overlong name."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. where it is used."})
    if len(name) > 100:
        raise ValidationError({"name": "Token names are at most 100 characters."})
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = Token.objects.create(
        user=user, name=name, prefix=secret[:VISIBLE_CHARS], digest=token_digest(secret)
    )
    return IssuedToken(token=token, secret=secret)


@transaction.atomic
def token_revoke(*, token: Token, revoked_by: User) -> Token:
    """Revoke ``token`` so it no longer authenticates. Idempotent: revoking twice keeps the
    first time. Raises PermissionError if ``revoked_by`` does not own it."""
    if token.user_id != revoked_by.pk:
        raise PermissionError("Only the owner of a token can revoke it.")
    Token.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), updated_at=timezone.now()
    )
    token.refresh_from_db()
    return token


def token_authenticate(*, secret: str) -> Token | None:
    """The active token with this secret (its user loaded), or None. Records when it was
    last used, at most once a minute, so most requests cost one query."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    token = (
        Token.objects.select_related("user")
        .filter(digest=token_digest(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        Token.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
