"""A Redis cache that degrades instead of failing when Redis cannot be reached.

Built on django-redis, which keeps one Redis client per server (a client hands each command
its own pooled connection) and counts with ``incr`` in one round trip, atomically (a short
script: EXISTS, then INCRBY, on the server). Its errors would still turn every page that
touches the cache into a 500 during a Redis outage, so this backend logs the outage, answers
reads as misses and drops writes, and for a few seconds after a failure does not even try,
so requests never queue behind connection attempts. Everything the cache holds can be lost.
"""

import logging
import time
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django_redis.cache import RedisCache

logger = logging.getLogger(__name__)

UNAVAILABLE = (redis.ConnectionError, redis.TimeoutError)


# One hit on a rate-limit window that opens with its first hit and lasts ARGV[1] ms:
# the hits so far and the milliseconds left, in one round trip. A counter found without an
# expiry (written by an older release, say) gets one rather than living forever.
_WINDOW_HIT = """
local count = redis.call("INCR", KEYS[1])
local left = redis.call("PTTL", KEYS[1])
if left < 0 then
    redis.call("PEXPIRE", KEYS[1], ARGV[1])
    left = tonumber(ARGV[1])
end
return {count, left}
"""

# The same window without counting a hit: {hits, ms left}, {0, 0} when there is none.
_WINDOW_PEEK = """
local count = tonumber(redis.call("GET", KEYS[1]) or "0") or 0
local left = redis.call("PTTL", KEYS[1])
if left < 0 then left = 0 end
return {count, left}
"""


class DegradingRedisCache(RedisCache):
    """django-redis's cache with short socket timeouts that treats an unreachable Redis as
    empty, and rate-limit windows counted on the server (``window_hit``, ``window_peek``).

    OPTIONS may set ``SOCKET_CONNECT_TIMEOUT`` and ``SOCKET_TIMEOUT`` (default 0.5 s) and
    ``RETRY_AFTER`` (seconds without trying after a failure, default 5), besides
    django-redis's own options.
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS", {}))
        self.retry_after = float(options.pop("RETRY_AFTER", 5))
        options.setdefault("SOCKET_CONNECT_TIMEOUT", 0.5)
        options.setdefault("SOCKET_TIMEOUT", 0.5)
        super().__init__(server, {**params, "OPTIONS": options})
        self._down_until = 0.0

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, operation: str, exc: Exception) -> None:
        if self.available:
            logger.warning(
                "cache unavailable (%s: %s); serving without it for %ss",
                operation,
                exc,
                self.retry_after,
            )
        self._down_until = time.monotonic() + self.retry_after

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        if not self.available:
            return False
        try:
            return super().add(key, value, timeout, version)
        except UNAVAILABLE as exc:
            self._failed("add", exc)
            return False

    def get(self, key, default=None, version=None) -> Any:
        if not self.available:
            return default
        try:
            return super().get(key, default, version)
        except UNAVAILABLE as exc:
            self._failed("get", exc)
            return default

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        if not self.available:
            return
        try:
            super().set(key, value, timeout, version)
        except UNAVAILABLE as exc:
            self._failed("set", exc)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        if not self.available:
            return False
        try:
            return super().touch(key, timeout, version)
        except UNAVAILABLE as exc:
            self._failed("touch", exc)
            return False

    def delete(self, key, version=None) -> bool:
        if not self.available:
            return False
        try:
            return super().delete(key, version)
        except UNAVAILABLE as exc:
            self._failed("delete", exc)
            return False

    def get_many(self, keys, version=None) -> dict[str, Any]:
        if not self.available:
            return {}
        try:
            return super().get_many(keys, version)
        except UNAVAILABLE as exc:
            self._failed("get_many", exc)
            return {}

    def has_key(self, key, version=None) -> bool:
        if not self.available:
            return False
        try:
            return super().has_key(key, version)
        except UNAVAILABLE as exc:
            self._failed("has_key", exc)
            return False

    def incr(self, key, delta=1, version=None) -> int:
        """While Redis is away a counter cannot be kept: raises ValueError as for a
        missing key, which callers already handle."""
        if not self.available:
            raise ValueError(f"Key '{key}' not found (cache unavailable).")
        try:
            return super().incr(key, delta, version)
        except UNAVAILABLE as exc:
            self._failed("incr", exc)
            raise ValueError(f"Key '{key}' not found (cache unavailable).") from exc

    def window_hit(self, key: str, window: int) -> tuple[int, float] | None:
        """Count one hit on the window ``key`` (``window`` seconds from its first hit):
        the hits so far and the seconds left, in one round trip; None while Redis is away."""
        return self._window(_WINDOW_HIT, "window_hit", key, window * 1000)

    def window_peek(self, key: str) -> tuple[int, float] | None:
        """The window ``key`` without counting a hit; None while Redis is away."""
        return self._window(_WINDOW_PEEK, "window_peek", key)

    def _window(
        self, script: str, operation: str, key: str, *args: int
    ) -> tuple[int, float] | None:
        if not self.available:
            return None
        try:
            client = self.client.get_client(write=True)
            count, left = client.eval(script, 1, self.make_and_validate_key(key), *args)
        except UNAVAILABLE as exc:
            self._failed(operation, exc)
            return None
        return int(count), int(left) / 1000

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None) -> list[str]:
        if not self.available:
            return list(data)
        try:
            return super().set_many(data, timeout, version) or []
        except UNAVAILABLE as exc:
            self._failed("set_many", exc)
            return list(data)

    def delete_many(self, keys, version=None) -> None:
        if not self.available:
            return
        try:
            super().delete_many(keys, version)
        except UNAVAILABLE as exc:
            self._failed("delete_many", exc)

    def clear(self) -> None:
        if not self.available:
            return
        try:
            super().clear()
        except UNAVAILABLE as exc:
            self._failed("clear", exc)
