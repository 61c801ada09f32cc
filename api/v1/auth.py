"""Who is calling: a personal token (``Authorization: Bearer``) or the browser session.

A request carrying an Authorization header is judged by it alone: a bad or revoked token
is a 401 even with a session cookie. Session writes must carry the CSRF token.
"""

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from api.services import token_authenticate
from api.v1.throttle import write_allowance_take

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class TokenAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization")
        if not header:
            return None
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthenticationError(message="Send the token as: Authorization: Bearer <token>.")
        return self.authenticate(request, secret.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = token_authenticate(secret=token)
        if found is None:
            raise AuthenticationError(message="That token is not valid or has been revoked.")
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        if request.method not in SAFE_METHODS:
            write_allowance_take(user_id=found.user_id)
        return found.user


class SessionAuth(APIKeyCookie):
    """The signed-in browser session; unsafe methods need the CSRF token."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        return None

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise HttpError(
                403, "CSRF check failed: send the CSRF token in the X-CSRFToken header."
            )
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return None
