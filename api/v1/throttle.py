"""A per-user limit on writes made with API tokens, kept in the Django cache.

A fixed one-minute window counted with ``cache.incr`` (and ``cache.add`` to open it), both
atomic on Redis and on the in-memory cache, so concurrent requests never lose a count.
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
    try:
        count = cache.incr(key)  # one round trip for all but the window's first write
    except ValueError:  # the window's first write (or the cache is away)
        if cache.add(key, 1, timeout=WINDOW_SECONDS * 2):
            count = 1
        else:  # another request started the window first
            try:
                count = cache.incr(key)
            except ValueError:
                count = 1
    if count > limit:
        retry_after = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
        raise RateLimited(retry_after=retry_after, limit=limit)
