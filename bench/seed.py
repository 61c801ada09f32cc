"""Seed the benchmark database: one big reviewed design and 1,000 others in the same team.

The big design has the shape of a long review: 17 sections totalling about 43 KB of
Markdown (tables, code, lists), 200 comments spread over the sections, 55 replies, issues
open and fixed, and verdicts. Everything goes through the services. Idempotent: a second
run finds the design and leaves it.

    python -m bench.seed   (with the benchmark's DATABASE_URL)
"""

import os
import sys
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The seed writes a few hundred comments in seconds, past the per-minute limit.
os.environ.setdefault("CRIT_COMMENTS_PER_MINUTE", "0")
django.setup()

from django.db import connection, transaction  # noqa: E402

from accounts.models import Team, User  # noqa: E402
from accounts.services import team_create, team_member_seed, user_create  # noqa: E402
from bench.common import DESIGN_TITLE  # noqa: E402
from designs.models import Design  # noqa: E402
from designs.services import design_create, section_update  # noqa: E402
from reviews import services as reviews  # noqa: E402

TITLE = DESIGN_TITLE
CONTENT = ROOT / "demo" / "content" / "url_shortener"
TARGET_BYTES = 43_000
OTHER_DESIGNS = 1_000

EXTRA = """

### Capacity table {n}

| Component | Instances | CPU | Memory | Notes |
|---|---:|---:|---:|---|
| redirect-api | {a} | 2 vCPU | 4 GiB | stateless, behind the load balancer |
| shorten-api | {b} | 2 vCPU | 4 GiB | writes through the id allocator |
| cache | 3 | 4 vCPU | 32 GiB | hot links, 24 h TTL |

```python
def resolve(code: str) -> str | None:
    url = cache.get(code)
    if url is None:
        url = db.fetch_url(code)
        cache.set(code, url, ttl=86_400)
    return url
```

- [x] load test at {a}x the expected peak
- [ ] chaos drill for the cache tier
- [ ] review the on-call runbook
"""


def user(name: str) -> User:
    found = User.objects.filter(username=name).first()
    return found or user_create(username=name, email=f"{name}@bench.test", password="bench")


def section_bodies(keys: list[str]) -> dict[str, str]:
    bodies = {}
    for key in keys:
        path = CONTENT / f"{key}.md"
        bodies[key] = path.read_text(encoding="utf-8") if path.exists() else f"# {key}\n"
    n = 0
    while sum(len(b.encode()) for b in bodies.values()) < TARGET_BYTES:
        key = keys[n % len(keys)]
        bodies[key] += EXTRA.format(n=n, a=4 + n, b=2 + n)
        n += 1
    return bodies


@transaction.atomic
def seed_design(team: Team, alice: User, bob: User, carol: User) -> Design:
    """The long reviewed design: all of it or, if anything fails, none of it."""
    design = design_create(team=team, title=TITLE, created_by=alice, summary="Benchmark")
    sections = list(design.sections.order_by("position"))
    bodies = section_bodies([s.key for s in sections])
    for section in sections:
        section_update(
            section=section,
            body=bodies[section.key],
            state="answered",
            base_version=section.version,
            edited_by=alice,
        )
    reviews.review_request(design=design, reviewer=carol, requested_by=alice)
    reviews.review_request(design=design, reviewer=bob, requested_by=alice)
    sections = list(design.sections.order_by("position"))
    comments = []
    for i in range(200):
        section = sections[i % len(sections)]
        author = carol if i % 2 else bob
        comments.append(
            reviews.comment_add(
                section=section,
                author=author,
                body=f"Comment {i}: what happens to **p99 latency** when the cache "
                f"misses? See `resolve()` and the [runbook](https://example.com/{i}).",
                raise_issue=i % 10 == 0,
            )
        )
    for i in range(55):
        reviews.comment_reply(
            parent=comments[i * 3], author=alice, body=f"Reply {i}: measured, see table."
        )
    for comment in comments[::20]:
        reviews.issue_status_change(comment=comment, to_status="fixed", changed_by=alice)
    reviews.verdict_submit(design=design, reviewer=carol, kind="request_changes")
    reviews.verdict_submit(design=design, reviewer=bob, kind="comment", summary="Looks good")
    return design


def main() -> None:
    alice, bob, carol = user("alice"), user("bob"), user("carol")
    team = Team.objects.filter(name="Bench").first() or team_create(name="Bench", created_by=alice)
    team_member_seed(team=team, user=bob, role="member")
    design = Design.objects.filter(team=team, title=TITLE).first() or seed_design(
        team, alice, bob, carol
    )
    existing = Design.objects.filter(team=team).count()
    for i in range(existing - 1, OTHER_DESIGNS):
        design_create(team=team, title=f"Design {i:04d}", created_by=alice)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics as a database in service would have them
    size = sum(len(s.body.encode()) for s in design.sections.all())
    count = Design.objects.filter(team=team).count()
    print(f"design={design.pk} bytes={size} designs_in_team={count}")


if __name__ == "__main__":
    main()
