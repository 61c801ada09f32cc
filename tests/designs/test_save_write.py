"""A section save's writes: one statement on PostgreSQL, the ORM elsewhere (SQLite, the
embedded default). Both run here, on PostgreSQL, and must leave the same rows and give
the same answer: the design's live approval count, or None when the base was stale."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from designs import services
from designs.models import Design, Revision, Section
from tests.factories import make_design

pytestmark = pytest.mark.django_db

WRITERS = {
    "orm": services._save_write_orm,
    "postgresql": services._save_write_postgresql,
}


def _write(section: Section, editor, *, base_version: int, restored_from=None):
    return services.SaveWrite(
        section_id=section.pk,
        design_id=section.design_id,
        base_version=base_version,
        body="Saved **text**",
        body_html="<p>Saved <strong>text</strong></p>\n",
        state=Section.State.ANSWERED,
        na_reason="",
        editor_id=editor.pk,
        now=timezone.now(),
        restored_from=restored_from,
    )


def _rows(section: Section) -> dict:
    """What a save leaves, without ids and the clock."""
    section.refresh_from_db()
    section.design.refresh_from_db()
    return {
        "section": (
            section.body,
            section.body_html,
            section.state,
            section.na_reason,
            section.version,
            section.updated_by_id,
        ),
        "revisions": list(
            Revision.objects.filter(section=section)
            .order_by("version")
            .values_list("version", "body", "state", "na_reason", "author_id", "restored_from")
        ),
        "design": (section.design.last_edited_by_id,),
    }


@pytest.mark.parametrize("writer", WRITERS)
def test_a_save_writes_section_revision_and_last_edit(writer, team, alice, bob):
    section = make_design(team=team, author=alice).sections.get(position=1)
    Design.objects.filter(pk=section.design_id).update(live_approval_count=2)
    write = _write(section, bob, base_version=0, restored_from=None)

    assert WRITERS[writer](write) == (2, 0)  # live approvals and sign-offs, for the receivers

    rows = _rows(section)
    assert rows["section"] == (
        "Saved **text**",
        "<p>Saved <strong>text</strong></p>\n",
        Section.State.ANSWERED,
        "",
        1,
        bob.pk,
    )
    assert rows["revisions"] == [(1, "Saved **text**", Section.State.ANSWERED, "", bob.pk, None)]
    assert rows["design"] == (bob.pk,)  # the design was created by alice
    assert section.updated_at == write.now
    assert section.design.last_edited_at == write.now
    assert section.design.updated_at == write.now


@pytest.mark.parametrize("writer", WRITERS)
def test_a_stale_base_writes_nothing(writer, team, alice, bob):
    section = make_design(team=team, author=alice).sections.get(position=1)
    before = _rows(section)
    edited_at = section.design.last_edited_at

    assert WRITERS[writer](_write(section, alice, base_version=3)) is None

    assert _rows(section) == before
    assert section.design.last_edited_at == edited_at


def test_both_ways_leave_the_same_rows_for_a_restore(team, alice, bob):
    results = []
    for writer in WRITERS.values():
        section = make_design(team=team, author=alice).sections.get(position=2)
        writer(_write(section, alice, base_version=0))
        writer(_write(section, bob, base_version=1, restored_from=1))
        results.append(_rows(section))
    assert results[0] == results[1]
    assert results[0]["revisions"][-1][-1] == 1  # restored_from


def test_on_postgresql_a_save_writes_in_one_statement(team, alice):
    section = make_design(team=team, author=alice).sections.get(position=1)
    with CaptureQueriesContext(connection) as ctx:
        services.section_update(section=section, body="x", base_version=0, edited_by=alice)
    writes = [
        q["sql"] for q in ctx.captured_queries if "UPDATE" in q["sql"] or "INSERT" in q["sql"]
    ]
    # Besides the save's statement, exactly one INSERT: its activity event.
    events = [sql for sql in writes if 'INSERT INTO "activity_event"' in sql]
    assert len(events) == 1
    writes = [sql for sql in writes if sql not in events]
    # And one upsert of the design's search row (search/receivers.py).
    searched = [sql for sql in writes if "search_designdocument" in sql]
    assert len(searched) == 1
    writes = [sql for sql in writes if sql not in searched]
    assert len(writes) == 1
    assert "designs_revision" in writes[0] and "designs_design" in writes[0]
    assert Revision.objects.filter(section=section).count() == 1
