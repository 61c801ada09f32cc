"""Writes for personal API tokens, and the check of a token on each request."""

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from api.models import Token

SECRET_PREFIX = "crit_"  # noqa: S105 (a marker, not a secret)
VISIBLE_CHARS = len(SECRET_PREFIX) + 8
# last_used_at is a hint for people, not an audit log: refresh it at most this often.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# How long the cache answers for an active token. Revoking it, or changing or deactivating
# its user through Crit or the admin, ends that at once (token_cache_forget); a change made
# by hand in the database takes effect within this time.
TOKEN_CACHE_SECONDS = 60
# Cached in place of a token that changed: until it expires, the token is looked up in the
# database and not cached again, so a lookup that raced the change cannot cache it.
_FORGOTTEN = "forgotten"


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
    token_cache_forget(digests=[token.digest])
    token.refresh_from_db()
    return token


def token_cache_forget(*, digests: Iterable[str]) -> None:
    """Stop answering for these tokens from the cache: called when a token or its user
    changes. Idempotent."""
    cache.set_many(dict.fromkeys(map(_cache_key, digests), _FORGOTTEN), TOKEN_CACHE_SECONDS)


def token_authenticate(*, secret: str) -> Token | None:
    """The active token with this secret (its user loaded), or None. Records when it was
    last used, at most once a minute. An active token is answered from the cache for up to
    TOKEN_CACHE_SECONDS, so most requests cost no query."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    digest = token_digest(secret)
    cached = cache.get(_cache_key(digest))
    if isinstance(cached, dict):
        return _from_snapshot(cached)
    try:
        token = Token.objects.select_related("user").get(
            digest=digest, revoked_at__isnull=True, user__is_active=True
        )
    except Token.DoesNotExist:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        Token.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    if cached is None:  # add, not set: a token forgotten meanwhile stays forgotten
        cache.add(_cache_key(digest), _snapshot(token), TOKEN_CACHE_SECONDS)
    return token


# What the cache keeps of a token and its user: their columns, never the password hash.
_TOKEN_COLUMNS = [f.attname for f in Token._meta.concrete_fields]
_USER_COLUMNS = [f.attname for f in User._meta.concrete_fields if f.name != "password"]
_COLUMNS_DIGEST = hashlib.sha256(" ".join(_TOKEN_COLUMNS + _USER_COLUMNS).encode()).hexdigest()


def _cache_key(digest: str) -> str:
    return f"api-token:{_COLUMNS_DIGEST[:8]}:{digest}"


def _snapshot(token: Token) -> dict[str, Any]:
    return {
        "token": [getattr(token, name) for name in _TOKEN_COLUMNS],
        "user": [getattr(token.user, name) for name in _USER_COLUMNS],
    }


def _from_snapshot(snapshot: dict[str, Any]) -> Token:
    token = Token.from_db("default", _TOKEN_COLUMNS, snapshot["token"])
    token.user = User.from_db("default", _USER_COLUMNS, snapshot["user"])  # password deferred
    return token
