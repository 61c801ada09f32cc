"""Reads for personal API tokens; a person only ever sees their own."""

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from api.models import Token


def token_list(*, fetched_by: User) -> QuerySet[Token]:
    return Token.objects.filter(user=fetched_by).order_by("revoked_at", "-created_at", "-pk")


def token_get_for(user: User, token_id: int) -> Token:
    """The token if ``user`` owns it, else 404."""
    token = Token.objects.filter(pk=token_id, user=user).first() if user.is_authenticated else None
    if token is None:
        raise Http404("No such token.")
    return token
