"""What a live update costs: rendering the changed parts of a design page for one reader,
and reading presence.

    .venv/bin/python bench/live_updates.py [--rounds 50]

Creates a fresh PostgreSQL database (crit_bench_live, dropped and created again; Redis
database 11) with the benchmark's big design (bench/seed.py: 17 sections, ~43 KB, 255
comments, verdicts). Every open page renders each update for its own user
(realtime/live.py), so the cost of one update is this figure times the number of open
pages, spread over the ASGI processes. Prints, per kind of update and per viewer (a team
member, a reviewer): the queries and p50/p95 milliseconds with the caches cold (the first
page after a change) and warm (every other page); then p50/p95 of a presence read.
"""

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get(
    "BENCH_LIVE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crit_bench_live"
)
REDIS_URL = os.environ.get("BENCH_LIVE_REDIS_URL", "redis://127.0.0.1:6379/11")
os.environ.update(
    DATABASE_URL=DATABASE_URL,
    REDIS_URL=REDIS_URL,
    DJANGO_SETTINGS_MODULE="config.settings",
    LOG_LEVEL="WARNING",
    CRIT_COMMENTS_PER_MINUTE="0",
    CRIT_REVIEW_REQUESTS_PER_MINUTE="0",
)


def setup_database() -> None:
    name = DATABASE_URL.rsplit("/", 1)[1]
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=os.environ
    )


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    setup_database()

    from bench import seed  # noqa: I001 (sets Django up before the imports below)
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from realtime import live, presence

    alice, bob, carol = (seed.user(name) for name in ("alice", "bob", "carol"))
    team = seed.team_create(name="Bench", created_by=alice)  # bob reviews; he is not on it
    design = seed.seed_design(team, alice, bob, carol)
    sections = list(design.sections.order_by("position"))
    busiest = max(sections, key=lambda s: s.comments.count())
    kinds = {
        "a comment (threads)": live.Changes(threads={busiest.key}),
        "a section save (card)": live.Changes(sections={busiest.key}),
        "a verdict (review panel)": live.Changes(review=True),
        "an export's progress": live.Changes(exports=True),
        "catch-up (everything)": live.Changes.everything(),
    }
    print(f"design: {len(sections)} sections, {design.comments.count()} comments")
    print(
        f"{'update':28} {'viewer':8} {'queries':>7} {'cold p50/p95 ms':>16} {'warm p50/p95 ms':>16}"
    )
    for label, changes in kinds.items():
        for viewer in (alice, bob):
            request = live.request_for({"session": None, "cookies": {}}, viewer)
            cold, warm = [], []
            queries = 0
            for _ in range(args.rounds):
                cache.key_prefix = f"bench-{uuid.uuid4().hex}"  # an empty cache
                for times in (cold, warm):
                    copy = live.Changes(
                        sections=set(changes.sections),
                        threads=set(changes.threads),
                        review=changes.review,
                        exports=changes.exports,
                    )
                    with CaptureQueriesContext(connection) as captured:
                        started = time.perf_counter()
                        live.render_changes(request=request, design_id=design.pk, changes=copy)
                        times.append((time.perf_counter() - started) * 1000)
                    queries = len(captured.captured_queries)
            print(
                f"{label:28} {viewer.username:8} {queries:>7} "
                f"{percentile(cold, 50):>7.1f}/{percentile(cold, 95):<8.1f} "
                f"{percentile(warm, 50):>7.1f}/{percentile(warm, 95):<8.1f}"
            )

    class Socket:
        design_id, user, channel_name = design.pk, bob, "bench.presence!1"

    async def presence_reads() -> list[float]:
        await presence.enter(Socket())
        times = []
        for _ in range(500):
            started = time.perf_counter()
            await presence.read(design.pk)
            times.append((time.perf_counter() - started) * 1000)
        await presence.leave(Socket())
        return times

    reads = asyncio.run(presence_reads())
    p50, p95 = percentile(reads, 50), percentile(reads, 95)
    print(f"presence read (Redis): p50 {p50:.2f} ms, p95 {p95:.2f} ms")


if __name__ == "__main__":
    main()
