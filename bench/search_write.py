"""What keeping the search index up to date costs a section save.

    .venv/bin/python bench/search_write.py [--designs 200] [--reps 60]

Creates the PostgreSQL database ``crit_search_write`` (``--database``; dropped and made
again each run, never the test or development one), migrates it, writes ``--designs``
designs through the services (17 sections each, a few paragraphs of the demo designs'
prose in every section, so the GIN indexes hold real text), then times
``designs.services.section_update`` in-process, committed, for bodies of three sizes:
first with the search columns (search/migrations/0001_initial.py: the database computes a
section's weighted tsvector and its design's on every write and adds them to the GIN
indexes) and the design's search row (0002: the search app's receiver puts the design's
vector together again from the stored ones and updates its GIN index, in the transaction),
then without the row (dropped, its receivers disconnected), then without the columns too.
Prints p50/p95/max in ms of each and the difference, against the save target (an API save
under 30 ms at p95, docs/architecture.md).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BENCH_ENV, ROOT, manage, percentile

SAVE_TARGET_MS = 30.0
SIZES = (2_000, 20_000, 150_000)  # characters: a typical section, a long one, near the limit


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="crit_search_write")
    parser.add_argument("--designs", type=int, default=200)
    parser.add_argument("--reps", type=int, default=60)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/10")
    return parser.parse_args()


ARGS = parse_args()
if ARGS.database in ("crit", "crit_bench", "crit_test", "test_crit", "crit_scale"):
    raise SystemExit(f"{ARGS.database} is not a database for this benchmark")
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{ARGS.database}"
os.environ.update(BENCH_ENV)
os.environ.update(DATABASE_URL=DATABASE_URL, REDIS_URL=ARGS.redis_url)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402


def prose() -> str:
    """The demo designs' text, as one long string of paragraphs."""
    parts = [p.read_text() for p in sorted((ROOT / "demo" / "content").glob("*/*.md"))]
    return "\n\n".join(parts)


def text_of(size: int, source: str, salt: int) -> str:
    repeated = (source + "\n\n") * (size // max(1, len(source)) + 1)
    return f"Save {salt}.\n\n" + repeated[:size]


def seed(source: str):
    from accounts.models import User
    from accounts.services import team_create
    from designs import services

    alice = User.objects.create_user(username="alice", password="x-bench-only-1")
    team = team_create(name="Bench", created_by=alice)
    started = time.perf_counter()
    for n in range(ARGS.designs):
        design = services.design_create(
            team=team, title=f"Design {n} of the search benchmark", summary="", created_by=alice
        )
        for position, section in enumerate(design.sections.order_by("position")):
            start = (n * 17 + position) * 700 % max(1, len(source) - 3_000)
            services.section_update(
                section=section,
                body=source[start : start + 2_000],
                base_version=section.version,
                edited_by=alice,
            )
    print(f"seeded {ARGS.designs} designs in {time.perf_counter() - started:.1f} s")
    return alice, design


def measure(label: str, alice, design, size: int, source: str) -> list[float]:
    from django.db import transaction

    from designs.models import Section
    from designs.services import section_update

    section = Section.objects.filter(design=design).order_by("position").first()
    assert section is not None
    times = []
    for rep in range(ARGS.reps + 5):
        body = text_of(size, source, rep)
        started = time.perf_counter()
        with transaction.atomic():
            section = section_update(
                section=section, body=body, base_version=section.version, edited_by=alice
            )
        if rep >= 5:  # warm-up
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(
        f"  {label:28} {size:>8,} chars  p50 {statistics.median(times):6.1f}  "
        f"p95 {percentile(times, 95):6.1f}  max {times[-1]:6.1f}"
    )
    return times


def drop_search_rows() -> None:
    """The per-design search row (0002) gone and its receivers disconnected."""
    from django.db import connection
    from django.db.models.signals import post_delete, post_save

    from designs.models import Design
    from designs.signals import design_created, section_saved
    from reviews.signals import threads_changed

    section_saved.disconnect(dispatch_uid="search.section_saved")
    design_created.disconnect(dispatch_uid="search.design_created")
    threads_changed.disconnect(dispatch_uid="search.threads_changed")
    post_save.disconnect(sender=Design, dispatch_uid="search.design_saved")
    post_delete.disconnect(sender=Design, dispatch_uid="search.design_deleted")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS search_designdocument")  # and its index


def drop_search_columns() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("designs_section", "designs_design", "reviews_comment"):
            cursor.execute(f"ALTER TABLE {table} DROP COLUMN search_vector")  # and its index


def main() -> None:
    for command in ("dropdb", "createdb"):
        subprocess.run([command, "-h", "127.0.0.1", "-U", "postgres", ARGS.database],
                       capture_output=True)  # fmt: skip
    manage("migrate", "--noinput", DATABASE_URL=DATABASE_URL, REDIS_URL=ARGS.redis_url)
    django.setup()
    source = prose()
    alice, design = seed(source)
    print(f"section_update, committed, {ARGS.reps} saves each (ms)")
    with_index = {size: measure("with the search index", alice, design, size, source)
                  for size in SIZES}  # fmt: skip
    drop_search_rows()
    columns_only = {size: measure("without the design's row", alice, design, size, source)
                    for size in SIZES}  # fmt: skip
    drop_search_columns()
    without = {size: measure("without it", alice, design, size, source) for size in SIZES}
    print("\ncost of the design's search row per save (ms, with minus without the row)")
    for size in SIZES:
        p50 = statistics.median(with_index[size]) - statistics.median(columns_only[size])
        p95 = percentile(with_index[size], 95) - percentile(columns_only[size], 95)
        print(f"  {size:>8,} chars  p50 {p50:+6.1f}  p95 {p95:+6.1f}")
    print("\ncost of the index upkeep per save (ms, with minus without)")
    for size in SIZES:
        p50 = statistics.median(with_index[size]) - statistics.median(without[size])
        p95 = percentile(with_index[size], 95) - percentile(without[size], 95)
        with_p95, without_p95 = percentile(with_index[size], 95), percentile(without[size], 95)
        verdict = "within" if with_p95 < SAVE_TARGET_MS else "over"
        print(f"  {size:>8,} chars  p50 {p50:+6.1f}  p95 {p95:+6.1f}  (p95 with it "
              f"{with_p95:.1f}, without {without_p95:.1f}: "
              f"{verdict} the {SAVE_TARGET_MS:.0f} ms save target)")  # fmt: skip


if __name__ == "__main__":
    main()
