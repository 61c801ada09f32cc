"""What one cache call costs on the Redis cache the app uses (settings.CACHES), against
local Redis: microseconds per call (median of 5 runs of 2,000 calls each) for get (hit
and miss), set, incr, get_many of 20 keys and one rate-limit window hit
(config.ratelimit.window_hit), with the Redis commands each sends.

    REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/cache_roundtrips.py
"""

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")

import django

django.setup()

import redis  # noqa: E402
from django.core.cache import cache, caches  # noqa: E402

from config.ratelimit import window_hit  # noqa: E402

CALLS = 2_000


def _commands(call: Callable[[], object]) -> list[str]:
    """The Redis commands ``call`` sends, as Redis's MONITOR would list them."""
    sent: list[str] = []
    real = redis.Redis.execute_command

    def spy(self: redis.Redis, *args: object, **kwargs: object) -> object:
        sent.append(str(args[0]))
        return real(self, *args, **kwargs)

    redis.Redis.execute_command = spy  # type: ignore[method-assign]
    try:
        call()
    finally:
        redis.Redis.execute_command = real  # type: ignore[method-assign]
    return sent


def _micros(call: Callable[[], object]) -> float:
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(CALLS):
            call()
        runs.append((time.perf_counter() - start) / CALLS * 1e6)
    return statistics.median(runs)


def main() -> None:
    backend = caches["default"]
    print(f"backend: {type(backend).__module__}.{type(backend).__name__}")
    floor = redis.Redis.from_url(os.environ["REDIS_URL"])
    cache.set("bench:hit", {"a": 1, "b": "two"}, 300)
    cache.set("bench:counter", 0, 300)
    cache.set_many({f"bench:many:{i}": i for i in range(20)}, 300)
    many = [f"bench:many:{i}" for i in range(20)]
    cases: dict[str, Callable[[], object]] = {
        "redis-py GET (the floor)": lambda: floor.get("bench:missing"),
        "get (hit)": lambda: cache.get("bench:hit"),
        "get (miss)": lambda: cache.get("bench:missing"),
        "set": lambda: cache.set("bench:set", {"a": 1}, 300),
        "incr": lambda: cache.incr("bench:counter"),
        "get_many (20 keys)": lambda: cache.get_many(many),
        "window_hit (rate limit)": lambda: window_hit("bench:window", window=60),
    }
    print(f"{'call':26} {'µs/call':>8}  commands")
    for name, call in cases.items():
        commands = _commands(call)
        print(f"{name:26} {_micros(call):8.0f}  {' '.join(commands)}")
    cache.delete_many(["bench:hit", "bench:counter", "bench:set", "bench:window", *many])


if __name__ == "__main__":
    main()
