"""The Redis cache (django-redis) keeps one client per server instead of building one for
every operation (which cost more than the round trip itself), and counts in one round trip:
an incr, and a hit on a rate-limit window."""

import pytest
from django.core.cache import caches
from django_redis import get_redis_connection

from config.cache import DegradingRedisCache
from config.ratelimit import Window, window_clear, window_hit, window_peek


def _redis_cache() -> DegradingRedisCache:
    cache = caches["default"]
    if not isinstance(cache, DegradingRedisCache):
        pytest.skip("the embedded default has no Redis")
    return cache


def test_the_cache_reuses_its_redis_client():
    cache = _redis_cache()
    client = cache.client.get_client(write=True)
    cache.set("reused", 1)
    assert cache.get("reused") == 1
    assert cache.client.get_client(write=True) is client


def test_incr_is_one_round_trip_and_keeps_the_expiry(monkeypatch):
    cache = _redis_cache()
    cache.set("counter", 1, timeout=60)
    client = cache.client.get_client(write=True)
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


def test_the_cache_is_django_redis_with_its_public_client():
    cache = _redis_cache()
    assert get_redis_connection("default") is cache.client.get_client(write=True)


def test_a_rate_limit_window_hit_is_one_round_trip_with_an_expiry(monkeypatch):
    cache = _redis_cache()
    client = cache.client.get_client(write=True)
    commands = []
    real = client.execute_command
    monkeypatch.setattr(
        client, "execute_command", lambda *args, **kw: commands.append(args[0]) or real(*args, **kw)
    )

    first = window_hit("hits", window=60)
    second = window_hit("hits", window=60)

    assert commands == ["EVAL", "EVAL"]
    assert (first.count, second.count) == (1, 2)
    assert 1 <= second.retry_after <= 60
    assert 0 < client.ttl(cache.make_and_validate_key("hits")) <= 60
    assert window_peek("hits").count == 2
    window_clear("hits")
    assert window_peek("hits") == Window(count=0, retry_after=0)
