"""A per-user limit on writes made with API tokens: a one-minute window of
config.ratelimit, the scheme every limit in Crit uses (one round trip on Redis)."""

from django.conf import settings

from api.v1.errors import RateLimited
from config import metrics
from config.ratelimit import window_hit

WINDOW_SECONDS = 60


def write_allowance_take(*, user_id: int) -> None:
    """Count one write for ``user_id``; raise RateLimited once over the limit."""
    limit: int = settings.CRIT_API_WRITES_PER_MINUTE
    window = window_hit(f"api-writes:{user_id}", window=WINDOW_SECONDS)
    if window.count > limit:
        metrics.rate_limited("api_writes")
        raise RateLimited(retry_after=window.retry_after, limit=limit)
