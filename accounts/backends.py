"""The one authentication backend: Django's ModelBackend behind the sign-in lockout."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from accounts import throttle


class ThrottledModelBackend(ModelBackend):
    """Checks passwords like ModelBackend, but refuses every attempt for a locked-out account
    or address (``PermissionDenied`` stops ``authenticate()`` at once), counts each wrong
    password and clears the account's count on a right one. Every caller of
    ``authenticate()`` shares the same counts: the sign-in page, the admin's sign-in, the
    password-change form."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        address = throttle.client_address(request)
        wait, _ = throttle.signin_check(username=username, address=address)
        if wait:
            raise PermissionDenied("Sign-in is paused for this account or address.")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            throttle.signin_failed(username=username, address=address)
        else:
            throttle.signin_succeeded(username=username)
        return user
