"""A per-user limit on writes made with API tokens, kept in the Django cache.

A fixed one-minute window counted with ``cache.add`` + ``cache.incr``, both atomic on
Redis and on the in-memory cache, so concurrent requests never lose a count.
"""

import math
import time

from django.conf import settings
from django.core.cache import cache

from api.v1.errors import RateLimited

WINDOW_SECONDS = 60


def write_allowance_take(*, user_id: int) -> None:
    """Count one write for ``user_id``; raise RateLimited once over the limit."""
    limit: int = settings.CRIT_API_WRITES_PER_MINUTE
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"api-writes:{user_id}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        count = 1
    if count > limit:
        retry_after = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
        raise RateLimited(retry_after=retry_after, limit=limit)
