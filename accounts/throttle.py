"""Failed sign-ins, counted per account and per address, shared by every way of signing in.

After ``CRIT_SIGNIN_FAILURES_PER_ACCOUNT`` failed sign-ins for one username, or
``CRIT_SIGNIN_FAILURES_PER_ADDRESS`` from one address, within ``CRIT_SIGNIN_LOCKOUT_SECONDS``
of the first failure, every sign-in for that account or from that address is refused (even
with the right password) until that window ends. A successful sign-in clears the account's
count. The address is ``REMOTE_ADDR``: behind a proxy, set it from the proxy's header there,
never trust a client's ``X-Forwarded-For`` here.

The counts live in PostgreSQL (``SignInFailureWindow``), not in the cache: a lockout holds
while Redis is down or restarted. Every password check goes through
``accounts.backends.ThrottledModelBackend`` (the sign-in form, the admin's sign-in, the
current password on the password-change form, anything that calls ``authenticate()``), which
consults and feeds these counts; the forms ask ``signin_wait`` first only to say how long.
"""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import SignInFailureWindow
from config import metrics
from config.ratelimit import wait_words

logger = logging.getLogger(__name__)


def _account_key(username: str) -> str:
    digest = hashlib.sha256(username.strip().lower().encode("utf-8")).hexdigest()[:32]
    return f"user:{digest}"


def _address_key(address: str) -> str:
    return f"addr:{address}"[:100]


def client_address(request: HttpRequest | None) -> str:
    if request is None:
        return "unknown"
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _seconds_left(ends_at) -> int:
    return max(1, int((ends_at - timezone.now()).total_seconds() + 0.999))


def _lockout(*, username: str, address: str) -> tuple[int, str, str]:
    """(seconds to wait, message, "account" or "address") while locked out, else
    (0, "", ""). One query."""
    account_key, address_key = _account_key(username), _address_key(address)
    windows = {
        key: (count, ends_at)
        for key, count, ends_at in SignInFailureWindow.objects.filter(
            key__in=[account_key, address_key], ends_at__gt=timezone.now()
        ).values_list("key", "count", "ends_at")
    }
    count, ends_at = windows.get(account_key, (0, None))
    if ends_at is not None and count >= settings.CRIT_SIGNIN_FAILURES_PER_ACCOUNT:
        wait = _seconds_left(ends_at)
        return (
            wait,
            "Too many failed sign-ins for this account. For its safety, sign-in is paused: "
            f"try again in {wait_words(wait)}.",
            "account",
        )
    count, ends_at = windows.get(address_key, (0, None))
    if ends_at is not None and count >= settings.CRIT_SIGNIN_FAILURES_PER_ADDRESS:
        wait = _seconds_left(ends_at)
        return (
            wait,
            "Too many failed sign-ins from your network. Sign-in is paused: "
            f"try again in {wait_words(wait)}.",
            "address",
        )
    return 0, "", ""


def signin_wait(*, username: str, address: str) -> tuple[int, str]:
    """(seconds to wait, message) if sign-ins for ``username`` or from ``address`` are locked
    out, else (0, ""). Reads only."""
    wait, message, _ = _lockout(username=username, address=address)
    return wait, message


def signin_check(*, username: str, address: str) -> tuple[int, str]:
    """``signin_wait`` for an attempt about to be made: a refused attempt is logged and
    counted in the metrics (once, by whichever of the form or the backend refuses it)."""
    wait, message, scope = _lockout(username=username, address=address)
    if wait:
        metrics.signin_locked_out(scope)
        logger.info(
            "sign-in refused during a lockout: account %r from %s", username.strip(), address
        )
    return wait, message


def _hit(key: str) -> int:
    """Count one failure on ``key``; a window that has ended starts over. Returns the count.
    Concurrent failures are serialised on the row, so none is lost."""
    now = timezone.now()
    window = timedelta(seconds=settings.CRIT_SIGNIN_LOCKOUT_SECONDS)
    with transaction.atomic():
        row = SignInFailureWindow.objects.select_for_update().filter(key=key).first()
        if row is None:
            try:
                with transaction.atomic():
                    SignInFailureWindow.objects.create(
                        key=key, count=1, started_at=now, ends_at=now + window
                    )
                return 1
            except IntegrityError:  # another failure created it first
                row = SignInFailureWindow.objects.select_for_update().get(key=key)
        if row.ends_at <= now:
            row.count, row.started_at, row.ends_at = 1, now, now + window
        else:
            row.count += 1
        row.save(update_fields=["count", "started_at", "ends_at"])
        return row.count


def signin_failed(*, username: str, address: str) -> None:
    """Count a failed password check for ``username`` from ``address``; log when it starts a
    lockout. Windows that ended are swept away here."""
    SignInFailureWindow.objects.filter(ends_at__lte=timezone.now()).delete()
    if username.strip():
        count = _hit(_account_key(username))
        if count == settings.CRIT_SIGNIN_FAILURES_PER_ACCOUNT:
            logger.warning(
                "sign-in locked out for account %r after %d failures (last from %s) for %d s",
                username.strip(),
                count,
                address,
                settings.CRIT_SIGNIN_LOCKOUT_SECONDS,
            )
    count = _hit(_address_key(address))
    if count == settings.CRIT_SIGNIN_FAILURES_PER_ADDRESS:
        logger.warning(
            "sign-in locked out for address %s after %d failures for %d s",
            address,
            count,
            settings.CRIT_SIGNIN_LOCKOUT_SECONDS,
        )


def signin_succeeded(*, username: str) -> None:
    SignInFailureWindow.objects.filter(key=_account_key(username)).delete()
