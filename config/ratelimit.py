"""Fixed-window counters in the Django cache, for limits on what one user or address may do:
comments, exports, sign-in attempts and API writes.

The window starts with the first hit and ends ``window`` seconds later, when the counter
expires. On Redis (``config.cache.DegradingRedisCache``) a hit is one round trip: a script
counts it and reads the time left on the server. On other caches (the in-memory one) the
window is ``cache.add`` + ``cache.incr``, atomic there too, with the window's end in a
second key. Concurrent requests never lose a count. With the cache unreachable every limit
is open: Crit keeps serving rather than refuse everyone.
"""

import logging
import math
import time
from dataclasses import dataclass
from typing import Protocol

from django.core.cache import cache
from django.core.exceptions import ValidationError

from config import metrics

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Window:
    count: int
    retry_after: int  # seconds until the window ends; 0 when there is no window


def _until_key(key: str) -> str:
    return f"{key}:until"


class _ServerWindows(Protocol):
    def window_hit(self, key: str, window: int) -> tuple[int, float] | None: ...

    def window_peek(self, key: str) -> tuple[int, float] | None: ...


def _window(counted: tuple[int, float] | None) -> Window:
    if counted is None or not counted[0]:  # the cache is away, or no window
        return Window(count=0, retry_after=0)
    count, left = counted
    return Window(count=count, retry_after=max(1, math.ceil(left)))


def window_hit(key: str, *, window: int) -> Window:
    """Count one hit on ``key`` and return the window as it is after it."""
    now = time.time()
    try:
        if hasattr(cache, "window_hit"):  # counted on the server, in one round trip
            server: _ServerWindows = cache  # type: ignore[assignment]
            return _window(server.window_hit(key, window))
        cache.add(_until_key(key), now + window, timeout=window)
        cache.add(key, 0, timeout=window)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr, or the cache is down
            cache.set(key, 1, timeout=window)
            count = 1
        until = cache.get(_until_key(key)) or now + window
    except Exception:  # the cache backend's errors vary; a limit must never cause a 500
        logger.warning("rate limit %s not counted: cache unavailable", key.split(":")[0])
        return Window(count=0, retry_after=0)
    return Window(count=count, retry_after=max(1, math.ceil(until - now)))


def window_peek(key: str) -> Window:
    """The window of ``key`` without counting a hit."""
    now = time.time()
    try:
        if hasattr(cache, "window_peek"):
            server: _ServerWindows = cache  # type: ignore[assignment]
            return _window(server.window_peek(key))
        count = cache.get(key) or 0
        until = cache.get(_until_key(key)) or 0
    except Exception:
        return Window(count=0, retry_after=0)
    if not count:
        return Window(count=0, retry_after=0)
    return Window(count=count, retry_after=max(1, math.ceil(until - now)))


def window_clear(key: str) -> None:
    try:
        cache.delete_many([key, _until_key(key)])
    except Exception:
        logger.warning("rate limit %s not cleared: cache unavailable", key.split(":")[0])


def wait_words(seconds: int) -> str:
    """'30 seconds', '1 minute', '15 minutes': how long to wait, for a message."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


class LimitReached(ValidationError):
    """Over a per-person limit: a ValidationError about the subclass's ``field`` saying
    when to try again. Pages answer it with 429 and ``Retry-After``, the API likewise."""

    field = "__all__"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__({self.field: f"{message} Try again in {wait_words(retry_after)}."})
        self.retry_after = retry_after


def allowance_take(
    *, name: str, user_id: int, limit: int, window: int, error: type[LimitReached], message: str
) -> None:
    """Count one ``name`` action by ``user_id`` in a window of ``window`` seconds; past
    ``limit`` (0 turns the limit off) raise ``error`` with ``message`` and count the
    refusal in the metrics under ``name``."""
    if not limit:
        return
    hit = window_hit(f"{name}:{user_id}", window=window)
    if hit.count > limit:
        metrics.rate_limited(name)
        raise error(message, retry_after=hit.retry_after)
