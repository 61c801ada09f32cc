"""The Redis cache keeps one client per connection pool instead of building one for every
operation (which cost more than the round trip itself), and counts in one round trip."""

import pytest
from django.core.cache import caches

from config.cache import DegradingRedisCache


def _redis_cache() -> DegradingRedisCache:
    cache = caches["default"]
    if not isinstance(cache, DegradingRedisCache):
        pytest.skip("the embedded default has no Redis")
    return cache


def test_the_cache_reuses_its_redis_client():
    cache = _redis_cache()
    client = cache._cache.get_client(write=True)
    cache.set("reused", 1)
    assert cache.get("reused") == 1
    assert cache._cache.get_client(write=True) is client


def test_incr_is_one_round_trip_and_keeps_the_expiry(monkeypatch):
    cache = _redis_cache()
    cache.set("counter", 1, timeout=60)
    client = cache._cache.get_client(write=True)
    commands = []
    real = client.execute_command
    monkeypatch.setattr(
        client, "execute_command", lambda *args, **kw: commands.append(args[0]) or real(*args, **kw)
    )

    assert cache.incr("counter") == 2
    assert cache.incr("counter", 5) == 7

    assert commands == ["EVAL", "EVAL"]
    assert cache.get("counter") == 7
    assert 0 < client.ttl(cache.make_and_validate_key("counter")) <= 60


def test_incr_of_a_missing_key_raises_and_creates_nothing():
    cache = _redis_cache()
    with pytest.raises(ValueError):
        cache.incr("never-set")
    assert cache.get("never-set") is None
