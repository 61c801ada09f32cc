"""The Redis cache keeps one client per connection pool instead of building one for every
operation (which cost more than the round trip itself)."""

import pytest
from django.core.cache import caches

from config.cache import DegradingRedisCache


def test_the_cache_reuses_its_redis_client():
    cache = caches["default"]
    if not isinstance(cache, DegradingRedisCache):
        pytest.skip("the embedded default has no Redis")
    client = cache._cache.get_client(write=True)
    cache.set("reused", 1)
    assert cache.get("reused") == 1
    assert cache._cache.get_client(write=True) is client
