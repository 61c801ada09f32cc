import pytest

from designs import services as design_services
from designs.models import Section

TABLE = """Who we serve, by segment:

| Segment | Users | Notes |
|:--|--:|:-:|
| Teams | 1 200 | pay monthly |
| Schools | 300 | free, 日本語 ok |
"""

CODE = (
    "The write path:\n"
    "\n"
    "```python\n"
    "def shorten(url: str) -> str:\n"
    "    key = base62(next_id())\n"
    "    store.put(key, url)  # idempotent\n"
    "    return key\n"
    "```\n"
    "\n"
    "Trailing spaces stay:   \n"
    "and a hard break above.\n"
)

TASKS = (
    "Launch checklist:\n"
    "\n"
    "- [x] Load test at 2\u00d7 peak\n"
    "- [ ] Runbook for the cache stampede\n"
    "- [ ] Pen test \u2014 \u201cexternal\u201d vendor\n"
)

UNICODE = (
    "Ünïcödé ✓ — emoji 🚀, RTL مرحبا, combining e\u0301, zero-width\u200bjoiner.\n\n\tTabbed line\n"
)


def fill(design, alice, bodies: dict[int, str]) -> None:
    sections = {s.position: s for s in design.sections.all()}
    for position, body in bodies.items():
        design_services.section_update(
            section=sections[position],
            body=body,
            state=Section.State.ANSWERED,
            base_version=sections[position].version,
            edited_by=alice,
        )


@pytest.fixture
def seeded_design(design, alice, bob, team):
    """A design shaped like the demo: tables, code, task lists, Unicode, one N/A section."""
    from tests.factories import MembershipFactory

    MembershipFactory(team=team, user=bob)
    fill(design, alice, {1: TABLE, 2: CODE, 3: TASKS, 4: UNICODE})
    fill(design, bob, {5: "Reads outnumber writes 100:1.\nNo trailing newline here"})
    na = design.sections.get(position=6)
    design_services.section_update(
        section=na,
        body="",
        state=Section.State.NOT_APPLICABLE,
        na_reason="We run a single region on purpose.",
        base_version=na.version,
        edited_by=alice,
    )
    design.refresh_from_db()
    return design
