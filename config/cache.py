"""A Redis cache that degrades instead of failing when Redis cannot be reached.

Django's RedisCache raises on every connection error, so a Redis outage would turn every
page that touches the cache into a 500. This backend logs the outage, answers reads as
misses and drops writes, and for a few seconds after a failure does not even try, so
requests never queue behind connection attempts. Everything the cache holds can be lost.
"""

import logging
import time
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

UNAVAILABLE = (redis.ConnectionError, redis.TimeoutError)


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client, keeping one ``redis.Redis`` per connection pool: Django builds a
    new one for every operation, which costs more than the round trip to Redis. A client
    is safe to share between threads; its pool hands each command its own connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key=None, *, write=False):
        django_client: Any = super()  # its helpers are private, so the stubs leave them out
        index = django_client._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = django_client.get_client(key, write=write)
        return client

    def incr(self, key, delta):
        """Django's answer (ValueError for a missing key) in one round trip instead of two
        (EXISTS, then INCRBY), and atomic: a key that expires between the two can no
        longer come back as a counter without an expiry."""
        client = self.get_client(key, write=True)
        value = client.eval(_INCR_EXISTING, 1, key, delta)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


_INCR_EXISTING = """
if redis.call("EXISTS", KEYS[1]) == 1 then
    return redis.call("INCRBY", KEYS[1], ARGV[1])
end
return false
"""


class DegradingRedisCache(RedisCache):
    """RedisCache with short socket timeouts that treats an unreachable Redis as empty.

    OPTIONS may set ``socket_connect_timeout`` and ``socket_timeout`` (default 0.5 s) and
    ``RETRY_AFTER`` (seconds without trying after a failure, default 5).
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS", {}))
        self.retry_after = float(options.pop("RETRY_AFTER", 5))
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusingRedisCacheClient
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

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None) -> list[str]:
        if not self.available:
            return list(data)
        try:
            return super().set_many(data, timeout, version)
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
