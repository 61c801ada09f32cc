"""The scale benchmark: Crit at 100,000 designs, 1,700,000 sections and 2,000,000 comments.

    .venv/bin/python bench/scale.py                      (seed the full size, then measure)
    .venv/bin/python bench/scale.py --designs 2000       (a small run, to try it out)
    .venv/bin/python bench/scale.py --reuse              (migrate and measure the database
                                                          seeded before)
    .venv/bin/python bench/scale.py --reuse --only search   (one part: dashboard, design, save,
                                                             search)

Seeding drops and creates the PostgreSQL database ``crit_scale`` (``--database``; never the
test or development database), migrates it and loads it with COPY: 200 teams, 1,000 ordinary
users (each team has 6 members) and two measured ones, ``scale_few`` (in 2 teams) and
``scale_many`` (in 60), 100,000 designs spread evenly over the teams, 17 sections each
(realistic Markdown made of the demo designs' paragraphs, the checklist's questions and
generated prose with rare words such as "Kafka" at known rates), a revision per version of
every section, review requests with their reader grants and verdicts for 30% of the designs,
and 2,000,000 comments (replies, issues open, fixed and dropped, with their issue changes).
Every counter and status the pages read is what the services would have stored: section
counts, coverage, last edits, live approvals, the status from the verdicts and open issues.
Secondary indexes and unique constraints are dropped while a table loads and built after;
foreign keys are not checked during the load (the seed makes them right). It prints the
time per table, the database size and its largest tables and indexes.

Then, for both measured users, each figure as p50/p95/max in milliseconds over ``--reps``
warm repetitions, in-process through Django's test client (as ``bench/run.py``'s in-process
figures): the dashboard as served (page cache warm: the stamp query and one cache read) and
rendered anew (the page cache bypassed), a typical design page, a section save through
``designs.services.section_update`` (committed, on a scratch design of the user's first
team), and, when the ``search`` app is installed, ``search.selectors.search`` for typical
and filtered queries (otherwise it prints "search: not installed"). Where a figure misses
its target (p95 under 100 ms for the dashboard and typical searches) it prints EXPLAIN
ANALYZE of that figure's slowest SQL statement.

Redis: ``--redis-url`` (default redis://127.0.0.1:6379/10) is the cache the pages use; the
measurement clears it first.
"""

import argparse
import html
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BENCH_ENV, ROOT, manage, percentile

TARGET_MS = 100.0
DEMO = ROOT / "demo" / "content"
CHECKLIST = ROOT / "designs" / "checklists" / "system-design-checklist.md"

# Words of generated prose, roughly as often as an engineering team writes them.
COMMON = """service services data database request requests latency throughput cache
replica replicas write writes read reads user users api queue queues event events storage
index indexes partition partitions shard shards node nodes cluster region regions load
traffic peak capacity budget timeout retry retries failure failures error errors deploy
deployment rollout config metrics alert alerts dashboard log logs trace traces consistency
availability durability backup restore schema migration table tables row rows column key
keys value values stream batch job jobs worker workers client clients server servers network
bandwidth memory disk cpu cost owner team review design option options trade tradeoff risk
risks assumption assumptions requirement requirements scale scaling growth month year day
hour second minute percent p99 p95 median average estimate estimates limit limits quota
tenant tenants account accounts session sessions token tokens auth permission permissions
the a an of to in for on with by from and or but when while if then so because as at we
our it this that these those is are be will should must can may not no each every all some
most many few more less per""".split()  # noqa: SIM905
# (word, share of generated paragraphs that mention it): what makes searches selective.
DISTINCTIVE = [
    ("Kafka", 0.012),
    ("PostgreSQL", 0.03),
    ("Cassandra", 0.004),
    ("Redis", 0.02),
    ("idempotency", 0.01),
    ("quorum", 0.006),
    ("backpressure", 0.005),
    ("sharding", 0.02),
    ("consistent hashing", 0.008),
    ("read replicas", 0.01),
    ("Zanzibar", 0.0003),
    ("Raft", 0.002),
    ("GDPR", 0.003),
]
TITLE_WORDS = """Checkout Ledger Search Ingest Billing Notification Feed Catalog Inventory
Identity Payments Routing Analytics Export Import Media Upload Chat Presence Pricing Audit
Reporting Scheduler Gateway Recommendations Fraud Shipping Onboarding Metering Archive""".split()  # noqa: SIM905
TITLE_TAILS = [
    "service", "redesign", "v2", "at scale", "migration", "rollout", "sharding plan",
    "cache layer", "event pipeline", "multi-region", "rewrite", "API", "storage tier",
    "read path", "write path",
]  # fmt: skip

SECTIONS_PER_DESIGN = 17
STATE_SHARES = (("answered", 0.68), ("draft", 0.1), ("not_applicable", 0.05), ("empty", 0.17))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="crit_scale")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/10")
    parser.add_argument("--reuse", action="store_true", help="measure the database as it is")
    parser.add_argument("--designs", type=int, default=100_000)
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--comments", type=int, default=2_000_000)
    parser.add_argument("--reps", type=int, default=30, help="warm repetitions per figure")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument(
        "--only", choices=("dashboard", "design", "save", "search"), action="append"
    )
    return parser.parse_args()


ARGS = parse_args()
if ARGS.database in ("crit", "crit_bench", "crit_test", "test_crit"):
    raise SystemExit(f"{ARGS.database} is not a database for this benchmark")
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{ARGS.database}"
os.environ.update(BENCH_ENV)
os.environ.update(DATABASE_URL=DATABASE_URL, REDIS_URL=ARGS.redis_url)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402
import psycopg  # noqa: E402

# Seeding: text ------------------------------------------------------------------------------


def demo_chunks() -> list[str]:
    """Top-level blocks of the demo designs (a fenced block kept whole), with no estimates,
    diagrams or link definitions: those need rows or a context the seed does not make."""
    chunks = []
    for path in sorted(DEMO.glob("*/*.md")):
        block: list[str] = []
        fenced = False
        for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
            if line.startswith("```"):
                fenced = not fenced
            if not line.strip() and not fenced:
                text = "\n".join(block).strip()
                special = "```calc" in text or "```mermaid" in text or "]:" in text
                if text and not special and not text.startswith("["):
                    chunks.append(text)
                block = []
            else:
                block.append(line)
    questions = [
        line.removeprefix("- ").strip()
        for line in CHECKLIST.read_text(encoding="utf-8").splitlines()
        if line.startswith("- ")
    ]
    chunks += [
        "\n".join(f"- {q}" for q in questions[i : i + 4]) for i in range(0, len(questions), 4)
    ]
    return chunks


def prose(rng: random.Random, words: int) -> str:
    """Generated sentences; plain words, so the paragraph's HTML is its escaped text."""
    picked = rng.choices(COMMON, k=words)
    for word, share in DISTINCTIVE:
        if rng.random() < share:
            picked.insert(rng.randrange(len(picked) + 1), word)
    sentences, start = [], 0
    while start < len(picked):
        end = start + rng.randint(8, 18)
        sentence = " ".join(picked[start:end])
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
        start = end
    return " ".join(sentences)


class TextPool:
    """Section bodies (with their HTML, rendered by the app's own renderer once per variant)
    and comment texts. A section is one variant, often followed by a paragraph of its own."""

    def __init__(self, rng: random.Random, variants: int, comments: int):
        from designs.markdown import render_markdown

        self.render = render_markdown
        chunks = demo_chunks()
        self.bodies: list[tuple[str, str]] = []
        for _ in range(variants):
            parts = rng.sample(chunks, rng.choice((1, 1, 2, 2, 3, 4, 6)))
            parts.insert(rng.randrange(len(parts) + 1), prose(rng, rng.randint(20, 120)))
            body = "\n\n".join(parts)
            self.bodies.append((body, render_markdown(body)))
        self.comments = [prose(rng, rng.randint(8, 60)) for _ in range(comments)]
        self.check(rng)

    @staticmethod
    def paragraph_html(text: str) -> str:
        return f"<p>{html.escape(text, quote=False)}</p>\n"

    def section(self, rng: random.Random) -> tuple[str, str]:
        body, body_html = rng.choice(self.bodies)
        if rng.random() < 0.6:
            own = prose(rng, rng.randint(15, 90))
            return f"{body}\n\n{own}", body_html + self.paragraph_html(own)
        return body, body_html

    def check(self, rng: random.Random) -> None:
        """The HTML put together here is the renderer's own: checked on a sample."""
        for _ in range(50):
            body, body_html = self.section(rng)
            assert self.render(body) == body_html, body[-300:]
        text = rng.choice(self.comments)
        assert self.render(text) == self.paragraph_html(text), text


# Seeding: loading ---------------------------------------------------------------------------


def timed(label: str, timings: dict[str, float]):
    class Timer:
        def __enter__(self):
            self.start = time.perf_counter()
            print(f"  {label} ...", flush=True)

        def __exit__(self, *exc):
            timings[label] = time.perf_counter() - self.start
            print(f"  {label}: {timings[label]:.1f} s", flush=True)

    return Timer()


class Loader:
    """One connection per table being loaded, each in its own COPY, so the tables of one
    generation pass load side by side. Foreign keys are not checked (replica role)."""

    def __init__(self, tables: dict[str, list[str]]):
        self.conns, self.copies, self.contexts, self.counts = {}, {}, {}, {}
        for table, columns in tables.items():
            conn = psycopg.connect(DATABASE_URL.replace("postgres://", "postgresql://"))
            conn.execute("SET session_replication_role = replica")
            conn.execute("SET synchronous_commit = off")
            cursor = conn.cursor()
            context = cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN")
            self.conns[table], self.contexts[table] = conn, context
            self.copies[table] = context.__enter__()
            self.counts[table] = 0

    def row(self, table: str, values: tuple) -> None:
        self.copies[table].write_row(values)
        self.counts[table] += 1

    def close(self) -> None:
        for table, context in self.contexts.items():
            context.__exit__(None, None, None)
            self.conns[table].commit()
            self.conns[table].close()


def secondary_indexes_drop(cursor, table: str) -> list[str]:
    """Drop ``table``'s indexes and unique constraints but its primary key; answers the
    statements that make them again."""
    cursor.execute(
        """SELECT i.relname, pg_get_indexdef(i.oid), c.conname, pg_get_constraintdef(c.oid)
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
           LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
                AND c.contype IN ('u', 'x')
           WHERE x.indrelid = %s::regclass AND NOT x.indisprimary""",
        [table],
    )
    again = []
    for index, definition, constraint, constraint_definition in cursor.fetchall():
        if constraint:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
            again.append(
                f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {constraint_definition}'
            )
        else:
            cursor.execute(f'DROP INDEX "{index}"')
            again.append(definition)
    return again


def seed(rng: random.Random) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from accounts.models import Membership, Team, User
    from designs.models import Design, DesignReader, Revision, Section, Template
    from reviews.models import Comment, IssueChange, ReviewRequest, Verdict
    from reviews.services.status import review_status_for

    timings: dict[str, float] = {}
    started = time.perf_counter()
    now = datetime.now(UTC)
    with timed("text pool (rendered by the app's renderer)", timings):
        pool = TextPool(rng, variants=6000, comments=40_000)

    def columns(model) -> list[str]:
        return [f.column for f in model._meta.concrete_fields]

    def next_id(model) -> int:
        return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

    defaulted: set[str] = set()

    def check_row(model, row: dict) -> tuple:
        """The row's values in the order of ``columns(model)``. A column the seed does not
        know (added since it was written) takes its field's default, and is named once."""
        fields = model._meta.concrete_fields
        unknown = set(row) - {f.attname for f in fields}
        assert not unknown, (model, unknown)
        values = []
        for field in fields:
            if field.attname not in row:
                if not (field.has_default() or field.null):
                    raise SystemExit(f"the seed does not fill {model.__name__}.{field.name}")
                if field.attname not in defaulted:
                    defaulted.add(field.attname)
                    default = field.get_default()
                    print(f"    {model.__name__}.{field.name}: its default, {default!r}")
                values.append(field.get_default())
            else:
                values.append(row[field.attname])
        return tuple(values)

    def moment(after: datetime) -> datetime:
        span = max((now - after).total_seconds(), 1)
        return after + timedelta(seconds=span * rng.random() ** 2)

    big = {
        Design: "designs_design",
        Section: "designs_section",
        Revision: "designs_revision",
        ReviewRequest: "reviews_reviewrequest",
        DesignReader: "designs_designreader",
        Verdict: "reviews_verdict",
        Comment: "reviews_comment",
        IssueChange: "reviews_issuechange",
    }
    rebuild: list[str] = []
    with connection.cursor() as cursor:
        for model in big:
            rebuild += secondary_indexes_drop(cursor, model._meta.db_table)

    # People and teams.
    with timed("users, teams, memberships", timings):
        password = make_password("bench")
        user_id = next_id(User)
        users = {}
        names = ["scale_few", "scale_many"] + [f"scale_u{i:04d}" for i in range(1000)]
        loader = Loader({t._meta.db_table: columns(t) for t in (User, Team, Membership)})
        for name in names:
            users[name] = user_id
            loader.row(
                User._meta.db_table,
                check_row(User, {
                    "id": user_id, "password": password, "last_login": None,
                    "is_superuser": False, "username": name, "first_name": "",
                    "last_name": "", "email": f"{name}@scale.test", "is_staff": False,
                    "is_active": True, "date_joined": now - timedelta(days=800),
                    "email_verified": True,
                }),
            )  # fmt: skip
            user_id += 1
        ordinary = [users[n] for n in names[2:]]
        team_id, membership_id = next_id(Team), next_id(Membership)
        teams: list[tuple[int, list[int]]] = []
        for t in range(ARGS.teams):
            members = [ordinary[(t * 6 + k) % len(ordinary)] for k in range(6)]
            extra = [users["scale_many"]] if t < 60 else []
            extra += [users["scale_few"]] if t < 2 else []
            loader.row(
                Team._meta.db_table,
                check_row(Team, {
                    "id": team_id, "name": f"Team {t:03d}", "created_by_id": members[0],
                    "created_at": now - timedelta(days=800), "updated_at": now,
                }),
            )  # fmt: skip
            for k, member in enumerate(members + extra):
                role = "owner" if k == 0 else "member"
                when = now - timedelta(days=700)
                loader.row(
                    Membership._meta.db_table,
                    check_row(Membership, {
                        "id": membership_id, "team_id": team_id, "user_id": member,
                        "role": role, "created_at": when, "updated_at": when,
                    }),
                )  # fmt: skip
                membership_id += 1
            teams.append((team_id, members))
            team_id += 1
        loader.close()

    template = Template.objects.get(is_default=True)
    template_sections = list(template.sections.order_by("position"))
    assert len(template_sections) == SECTIONS_PER_DESIGN, len(template_sections)
    guidance_html = [pool.render(ts.guidance) for ts in template_sections]

    tables = {big[m]: columns(m) for m in big}
    ids = {m: next_id(m) for m in big}
    comments_left = ARGS.comments
    per_design = ARGS.comments / max(ARGS.designs, 1)
    states, weights = zip(*STATE_SHARES, strict=True)
    with timed(f"{ARGS.designs:,} designs and everything in them (one pass)", timings):
        loader = Loader(tables)
        for n in range(ARGS.designs):
            design_id = ids[Design]
            ids[Design] += 1
            team_id, members = teams[n % len(teams)]
            author = rng.choice(members)
            created = now - timedelta(days=730 * rng.random())
            last_edited = moment(created)
            reviewed = rng.random() < 0.3
            section_rows = []
            section_keys: dict[str, int] = {}
            covered = 0
            for index, ts in enumerate(template_sections):
                section_id = ids[Section]
                ids[Section] += 1
                state = rng.choices(states, weights)[0]
                body, body_html, reason, version = "", "", "", 0
                if state in ("answered", "draft"):
                    body, body_html = pool.section(rng)
                    version = rng.choice((1, 1, 1, 1, 2, 2, 3, 5))
                elif state == "not_applicable":
                    reason, version = "Handled by the platform team's shared service.", 1
                covered += state in ("answered", "not_applicable")
                editor = rng.choice(members)
                updated = moment(created) if version else created
                updated = min(updated, last_edited)
                section_keys[ts.key] = version
                section_rows.append((section_id, version))
                loader.row(
                    "designs_section",
                    check_row(Section, {
                        "id": section_id, "design_id": design_id, "position": index + 1,
                        "key": ts.key, "title": ts.title, "guidance": ts.guidance,
                        "guidance_html": guidance_html[index], "body": body,
                        "body_html": body_html, "state": state, "na_reason": reason,
                        "version": version, "updated_by_id": editor if version else None,
                        "ystate": b"", "created_at": created, "updated_at": updated,
                    }),
                )  # fmt: skip
                for v in range(1, version + 1):
                    # Earlier versions held the first paragraphs of the last one.
                    text = body if v == version else body[: len(body) * v // (version + 1)]
                    loader.row(
                        "designs_revision",
                        check_row(Revision, {
                            "id": ids[Revision], "section_id": section_id, "version": v,
                            "body": text, "state": state, "na_reason": reason,
                            "author_id": editor, "restored_from": None,
                            "created_at": updated, "updated_at": updated,
                        }),
                    )  # fmt: skip
                    ids[Revision] += 1

            reviewers: list[int] = []
            verdicts: list[Any] = []
            if reviewed:
                others = [m for m in members if m != author]
                reviewers = rng.sample(others, rng.choice((1, 2, 2, 3)))
                if rng.random() < 0.2:  # someone outside the team, reading by the request
                    outsider = rng.choice(ordinary)
                    if outsider not in members:
                        reviewers.append(outsider)
                for reviewer in reviewers:
                    asked = moment(created)
                    loader.row(
                        "reviews_reviewrequest",
                        check_row(ReviewRequest, {
                            "id": ids[ReviewRequest], "design_id": design_id,
                            "reviewer_id": reviewer, "requested_by_id": author,
                            "message": "", "requested_at": asked, "created_at": asked,
                            "updated_at": asked,
                        }),
                    )  # fmt: skip
                    ids[ReviewRequest] += 1
                    loader.row(
                        "designs_designreader",
                        check_row(DesignReader, {
                            "id": ids[DesignReader], "design_id": design_id,
                            "user_id": reviewer, "created_at": asked, "updated_at": asked,
                        }),
                    )  # fmt: skip
                    ids[DesignReader] += 1
                    if rng.random() < 0.6:
                        kind = rng.choices(
                            ("approve", "request_changes", "comment"), (0.6, 0.2, 0.2)
                        )[0]
                        given = moment(max(asked, last_edited))  # after the last edit: fresh
                        verdicts.append(
                            Verdict(
                                id=ids[Verdict], design_id=design_id, reviewer_id=reviewer,
                                kind=kind, summary="", summary_html="",
                                revision=section_keys, stale_at=None,
                                created_at=given, updated_at=given,
                            )
                        )  # fmt: skip
                        ids[Verdict] += 1

            # Comments: reviewed designs draw most of them.
            wanted = per_design * (2.5 if reviewed else 0.36) * rng.uniform(0.2, 1.8)
            count = min(comments_left, round(wanted)) if n < ARGS.designs - 1 else comments_left
            comments_left -= count
            writers = [*reviewers, author] if reviewers else members
            open_issues = 0
            threads: list[tuple[int, int, int, datetime]] = []
            for _ in range(count):
                comment_id = ids[Comment]
                ids[Comment] += 1
                when = moment(created)
                parent = None
                if threads and rng.random() < 0.25:
                    parent, section_id, version, started_at = rng.choice(threads)
                    when = moment(started_at)
                else:
                    section_id, version = rng.choice(section_rows)
                issue, resolved_at, resolved_by = "", None, None
                if parent is None and rng.random() < 0.12:
                    issue = rng.choices(("open", "fixed", "dropped"), (0.35, 0.5, 0.15))[0]
                writer = rng.choice(writers)
                text = rng.choice(pool.comments)
                loader.row(
                    "reviews_comment",
                    check_row(Comment, {
                        "id": comment_id, "design_id": design_id, "section_id": section_id,
                        "parent_id": parent, "author_id": writer, "body": text,
                        "body_html": pool.paragraph_html(text),
                        "section_version": version if rng.random() < 0.7 else max(version - 1, 0),
                        "issue_status": issue, "resolved_at": resolved_at,
                        "resolved_by_id": resolved_by, "edited_at": None, "deleted_at": None,
                        "created_at": when, "updated_at": when,
                    }),
                )  # fmt: skip
                if parent is None:
                    threads.append((comment_id, section_id, version, when))
                if issue:
                    open_issues += issue == "open"
                    changes = [("", "open")] + ([("open", issue)] if issue != "open" else [])
                    for from_status, to_status in changes:
                        loader.row(
                            "reviews_issuechange",
                            check_row(IssueChange, {
                                "id": ids[IssueChange], "comment_id": comment_id,
                                "from_status": from_status, "to_status": to_status,
                                "changed_by_id": author if from_status else writer,
                                "created_at": when, "updated_at": when,
                            }),
                        )  # fmt: skip
                        ids[IssueChange] += 1
            for verdict in verdicts:
                loader.row(
                    "reviews_verdict",
                    check_row(Verdict, {
                        "id": verdict.id, "design_id": design_id,
                        "reviewer_id": verdict.reviewer_id, "kind": verdict.kind,
                        "summary": "", "summary_html": "",
                        "revision": json.dumps(section_keys), "stale_at": None,
                        "created_at": verdict.created_at, "updated_at": verdict.created_at,
                    }),
                )  # fmt: skip
            status = review_status_for(
                latest=verdicts, has_open_issues=bool(open_issues), has_reviewers=bool(reviewers)
            )
            loader.row(
                "designs_design",
                check_row(Design, {
                    "id": design_id, "team_id": team_id, "template_id": template.pk,
                    "template_version": template.version,
                    "title": f"{rng.choice(TITLE_WORDS)} {rng.choice(TITLE_TAILS)} {n}",
                    "summary": prose(rng, rng.randint(10, 30)), "status": status,
                    "created_by_id": author, "section_count": SECTIONS_PER_DESIGN,
                    "covered_count": covered, "last_edited_at": last_edited,
                    "last_edited_by_id": author,
                    "live_approval_count": sum(v.kind == "approve" for v in verdicts),
                    "created_at": created, "updated_at": max(
                        [last_edited, *(v.created_at for v in verdicts)]
                    ),
                }),
            )  # fmt: skip
            if n and n % 5000 == 0:
                elapsed = time.perf_counter() - started
                print(f"    {n:,} designs, {elapsed:.0f} s", flush=True)
        loader.close()
    for table, count in loader.counts.items():
        print(f"    {table}: {count:,} rows")

    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        with timed("indexes and unique constraints", timings):
            for statement in rebuild:
                cursor.execute(statement)
        for model in [User, Team, Membership, *big]:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
    with timed("VACUUM ANALYZE", timings), connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"seeding took {time.perf_counter() - started:.0f} s in all")


def sizes() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print(f"database {ARGS.database}: {cursor.fetchone()[0]}")
        cursor.execute(
            """SELECT c.relname, CASE c.relkind WHEN 'i' THEN 'index' ELSE 'table' END,
                      pg_size_pretty(pg_total_relation_size(c.oid)),
                      pg_size_pretty(pg_relation_size(c.oid)), c.reltuples::bigint
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')
               ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 14"""
        )
        print(f"  {'relation':48} {'kind':5} {'total':>9} {'main':>9} {'rows':>11}")
        for name, kind, total, main, rows in cursor.fetchall():
            print(f"  {name:48} {kind:5} {total:>9} {main:>9} {rows:>11,}")


# Measuring ----------------------------------------------------------------------------------


class Statements:
    """Every SQL statement run inside, with its time: for EXPLAIN of the slowest."""

    def __init__(self):
        self.seen: list[tuple[float, str, Any]] = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seen.append((time.perf_counter() - start, sql, params))


def measure(
    label: str, action: Callable[[], Any], *, target: float | None = None, reps: int = 0
) -> dict:
    from django.db import connection

    action()  # warm
    times = []
    statements = Statements()
    with connection.execute_wrapper(statements):
        for _ in range(reps or ARGS.reps):
            start = time.perf_counter()
            action()
            times.append((time.perf_counter() - start) * 1000)
    per_run = len(statements.seen) / len(times)
    sql_ms = sum(s[0] for s in statements.seen) * 1000 / len(times)
    p50, p95 = statistics.median(times), percentile(times, 95)
    flag = "" if target is None else ("  ok" if p95 < target else f"  MISSES p95 < {target:.0f}")
    print(f"  {label:52} p50 {p50:7.1f}  p95 {p95:7.1f}  max {max(times):7.1f}"
          f"  {per_run:3.0f} stmts, {sql_ms:6.1f} in SQL{flag}")  # fmt: skip
    if target is not None and p95 >= target:
        explain_slowest(statements)
    return {"p50": p50, "p95": p95, "max": max(times)}


def explain_slowest(statements: Statements) -> None:
    from django.db import connection

    readers = [s for s in statements.seen if s[1].lstrip().upper().startswith(("SELECT", "WITH"))]
    readers = [s for s in readers if " UPDATE " not in s[1] and " INSERT " not in s[1]]
    if not readers:
        return
    seconds, sql, params = max(readers, key=lambda s: s[0])
    print(f"    slowest statement ({seconds * 1000:.1f} ms): {sql[:600]}")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        for (line,) in cursor.fetchall():
            print(f"      {line}")


def typical_design(user) -> Any:
    """A design of the user's first team with the median number of comments there."""
    from django.db.models import Count

    from designs.models import Design

    team = user.teams.order_by("pk").first()
    candidates = list(
        Design.objects.filter(team=team)
        .exclude(title="Scale scratch design")
        .annotate(n=Count("comments"))
        .order_by("n", "pk")
        .values_list("pk", "n")
    )
    pk, n = candidates[len(candidates) * 3 // 4]  # a reviewed one: threads on it
    print(f"  design page: design {pk} ({n} comments) of {team}")
    return Design.objects.get(pk=pk)


def measure_user(username: str, parts: set[str]) -> None:
    from django.db import transaction
    from django.test import Client

    from accounts.models import User
    from designs import page
    from designs.models import Design, Section
    from designs.selectors import design_list
    from designs.services import design_create, section_update

    user = User.objects.get(username=username)
    teams = user.teams.count()
    visible = design_list(fetched_by=user).count()
    print(f"\n{username}: member of {teams} teams, sees {visible:,} designs")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)

    def get(url: str) -> Callable[[], None]:
        def action() -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return action

    if "dashboard" in parts:
        measure("dashboard (as served: page cache warm)", get("/"), target=TARGET_MS)
        team_id = user.teams.order_by("pk").values_list("pk", flat=True).first()
        measure(f"dashboard ?team={team_id}", get(f"/?team={team_id}"), target=TARGET_MS)
        cached = page.cached_page
        page.cached_page = lambda page_request, render, **kwargs: render(None, None).encode()
        try:
            measure("dashboard rendered anew (no page cache)", get("/"), target=TARGET_MS)
            measure("dashboard rendered anew, page 40", get("/?page=40"), target=TARGET_MS)
        finally:
            page.cached_page = cached
    if "design" in parts:
        design = typical_design(user)
        measure("design page (as served)", get(design.get_absolute_url()))
        cached = page.cached_page
        page.cached_page = lambda page_request, render, **kwargs: render(None, None).encode()
        try:
            measure("design page rendered anew (cards cached)", get(design.get_absolute_url()))
        finally:
            page.cached_page = cached
    if "save" in parts:
        team = user.teams.order_by("pk").first()
        scratch = Design.objects.filter(team=team, title="Scale scratch design").first()
        if scratch is None:
            scratch = design_create(team=team, title="Scale scratch design", created_by=user)
        section = Section.objects.filter(design=scratch).order_by("position").last()
        assert section is not None
        body = (
            Section.objects.filter(state="answered")
            .exclude(body="")
            .values_list("body", flat=True)[:1]
            .get()
        )
        saves = [0]

        def save() -> None:
            nonlocal section
            saves[0] += 1
            with transaction.atomic():
                section = section_update(
                    section=section,
                    body=f"{body}\n\nSave {saves[0]} at {time.time()}.",
                    base_version=section.version,
                    edited_by=user,
                )

        measure(f"section save ({len(body):,} chars, committed)", save, reps=max(ARGS.reps, 50))
    if "search" in parts:
        measure_search(user)


SEARCHES: list[tuple[str, dict[str, Any]]] = [
    ("kafka", {}),
    ("database sharding", {}),
    ('"consistent hashing"', {}),
    ('"read replicas" cache', {}),
    ("cache -redis", {}),
    ("zanzibar", {}),
    ("quorum raft", {}),
    ("service", {}),
    ("the", {}),
    ("latency", {"page": 5}),
]


def measure_search(user) -> None:
    try:
        from search.selectors import search
    except ImportError:
        print("  search: not installed")
        return
    from designs.models import Design

    team_id = user.teams.order_by("pk").values_list("pk", flat=True).first()
    month_ago = datetime.now(UTC) - timedelta(days=30)
    filtered: list[tuple[str, dict[str, Any]]] = [
        ("kafka", {"team_id": team_id}),
        ("kafka", {"status": Design.Status.APPROVED}),
        ("service", {"status": Design.Status.CHANGES_REQUESTED}),
        ("cache", {"author_id": user.pk}),
        ("latency", {"since": month_ago}),
        ("database", {"since": month_ago - timedelta(days=335), "until": month_ago}),
    ]
    for query, filters in SEARCHES + filtered:

        def run(query: str = query, filters: dict = filters) -> Any:
            return materialise(search(fetched_by=user, query=query, **filters))

        found = count_of(run())
        shown = ", ".join(f"{k}={v:%Y-%m-%d}" if isinstance(v, datetime) else f"{k}={v}"
                          for k, v in filters.items())  # fmt: skip
        measure(f"search {query!r} {shown} [{found}]", run, target=TARGET_MS)


def materialise(result: Any) -> Any:
    """Whatever search answers (a page, a list, a result object), read to the end."""
    for name in ("object_list", "results", "hits", "items"):
        inner = getattr(result, name, None)
        if inner is not None and not callable(inner):
            list(inner)
            return result
    if isinstance(result, Iterator) or hasattr(result, "__iter__"):
        return list(result)
    return result


def count_of(result: Any) -> str:
    for name in ("total", "count"):
        value = getattr(result, name, None)
        if isinstance(value, int):
            return f"{value:,} found"
    paginator = getattr(result, "paginator", None)
    if paginator is not None:
        return f"{paginator.count:,} found"
    try:
        return f"{len(result)} shown"
    except TypeError:
        return "?"


def main() -> None:
    if not ARGS.reuse:
        for command in ("dropdb", "createdb"):
            subprocess.run([command, "-h", "127.0.0.1", "-U", "postgres", ARGS.database],
                           capture_output=True)  # fmt: skip
    # With --reuse too: migrations added since the seed (search's indexes, say) run on the
    # seeded rows, and how long they take at this size is worth knowing.
    start = time.perf_counter()
    out = manage("migrate", "--noinput", DATABASE_URL=DATABASE_URL, REDIS_URL=ARGS.redis_url)
    applied = [line.strip() for line in out.splitlines() if line.strip().startswith("Applying")]
    print(f"migrate: {time.perf_counter() - start:.1f} s" + "".join(f"\n  {a}" for a in applied))
    manage("collectstatic", "--noinput", DATABASE_URL=DATABASE_URL)  # the pages' manifest
    django.setup()
    if not ARGS.reuse:
        print(f"seeding {ARGS.database}: {ARGS.designs:,} designs in {ARGS.teams} teams, "
              f"{ARGS.comments:,} comments")  # fmt: skip
        seed(random.Random(ARGS.seed))
    sizes()
    from django.core.cache import cache

    cache.clear()
    parts = set(ARGS.only or ("dashboard", "design", "save", "search"))
    print(f"\nmeasured in-process, {ARGS.reps} warm repetitions each (times in ms)")
    for username in ("scale_few", "scale_many"):
        measure_user(username, parts)


if __name__ == "__main__":
    main()
