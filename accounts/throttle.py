"""Failed sign-ins, counted per account and per address.

After ``CRIT_SIGNIN_FAILURES_PER_ACCOUNT`` failed sign-ins for one username, or
``CRIT_SIGNIN_FAILURES_PER_ADDRESS`` from one address, within ``CRIT_SIGNIN_LOCKOUT_SECONDS``
of the first failure, every sign-in for that account or from that address is refused (even
with the right password) until that window ends. A successful sign-in clears the account's
count. The address is ``REMOTE_ADDR``: behind a proxy, set it from the proxy's header there,
never trust a client's ``X-Forwarded-For`` here.
"""

import hashlib

from django.conf import settings
from django.http import HttpRequest

from config import metrics
from config.ratelimit import wait_words, window_clear, window_hit, window_peek


def _account_key(username: str) -> str:
    digest = hashlib.sha256(username.strip().lower().encode("utf-8")).hexdigest()[:32]
    return f"signin-fail:user:{digest}"


def _address_key(address: str) -> str:
    return f"signin-fail:addr:{address}"


def client_address(request: HttpRequest | None) -> str:
    if request is None:
        return "unknown"
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def signin_wait(*, username: str, address: str) -> tuple[int, str]:
    """(seconds to wait, message) if sign-ins for ``username`` or from ``address`` are locked
    out, else (0, "")."""
    account = window_peek(_account_key(username))
    if account.count >= settings.CRIT_SIGNIN_FAILURES_PER_ACCOUNT:
        metrics.signin_locked_out("account")
        return account.retry_after, (
            "Too many failed sign-ins for this account. For its safety, sign-in is paused: "
            f"try again in {wait_words(account.retry_after)}."
        )
    by_address = window_peek(_address_key(address))
    if by_address.count >= settings.CRIT_SIGNIN_FAILURES_PER_ADDRESS:
        metrics.signin_locked_out("address")
        return by_address.retry_after, (
            "Too many failed sign-ins from your network. Sign-in is paused: "
            f"try again in {wait_words(by_address.retry_after)}."
        )
    return 0, ""


def signin_failed(*, username: str, address: str) -> None:
    window = settings.CRIT_SIGNIN_LOCKOUT_SECONDS
    if username.strip():
        window_hit(_account_key(username), window=window)
    window_hit(_address_key(address), window=window)


def signin_succeeded(*, username: str) -> None:
    window_clear(_account_key(username))
