"""The per-design search row (search/migrations/0002_design_document.py) kept current in
the writing transaction, its backfill, and the window of most recently edited matches that
a search ranks (PostgreSQL)."""

import importlib
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from designs import services as design_services
from designs.models import Design
from reviews import services as review_services
from search import selectors
from search.selectors import search
from tests.search.conftest import write

pytestmark = pytest.mark.django_db


def document(design) -> str:
    """The design's search row, as text ("" when it has none)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT vector::text FROM search_designdocument WHERE design_id = %s", [design.pk]
        )
        row = cursor.fetchone()
    return row[0] if row else ""


def test_a_new_design_has_its_row_with_title_summary_and_section_titles(new_design):
    design = new_design("Ledger", summary="Double entry.")
    row = document(design)
    assert "'ledger':1A" in row
    assert "'doubl':2B" in row
    assert re.search(r"':\d+C", row)  # the sections' titles, weight C


def test_a_comment_its_edit_and_its_deletion_reach_the_row(alice, new_design, comment_on):
    design = new_design("Queue")
    comment = comment_on(design, 1, alice, "Idempotency keys?")
    assert "'idempot'" in document(design)
    assert search(fetched_by=alice, query="idempotency").total == 1
    comment = review_services.comment_edit(comment=comment, edited_by=alice, body="Retries?")
    assert "'idempot'" not in document(design)
    assert search(fetched_by=alice, query="retries").total == 1
    review_services.comment_delete(comment=comment, deleted_by=alice)
    assert "'retri'" not in document(design)
    assert search(fetched_by=alice, query="retries").total == 0


def test_a_save_of_other_design_fields_leaves_the_row_alone(alice, new_design):
    design = new_design("Stamp")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE search_designdocument SET vector = '' WHERE design_id = %s", [design.pk]
        )
    design.status = Design.Status.IN_REVIEW
    design.save(update_fields=["status"])
    assert document(design) == ""  # not rebuilt: status is not searched
    design_services.design_update(design=design, title="Stamped", summary="", edited_by=alice)
    assert "'stamp':1A" in document(design)


def test_a_deleted_design_takes_its_row_with_it(new_design):
    design = new_design("Temporary")
    pk = design.pk
    design.delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_designdocument WHERE design_id = %s", [pk])
        assert cursor.fetchone()[0] == 0


def test_the_migration_backfills_every_design_from_the_stored_vectors(
    alice, new_design, comment_on
):
    design = new_design("Backfilled", summary="Summary words.")
    write(design, 2, "Sharding by tenant.")
    comment_on(design, 3, alice, "Hot partitions?")
    before = document(design)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_designdocument")
        migration = importlib.import_module("search.migrations.0002_design_document")
        cursor.execute(migration.BACKFILL)
    assert document(design) == before
    assert "'shard'" in before and "'partit'" in before and "'backfil':1A" in before


def test_the_whole_design_matches_even_with_the_words_in_different_pieces(
    alice, new_design, comment_on
):
    design = new_design("Spread")
    write(design, 1, "Kafka carries the events.")
    comment_on(design, 2, alice, "Raft for the controller?")
    found = search(fetched_by=alice, query="kafka raft")
    assert [r.design.pk for r in found.results] == [design.pk]
    assert found.results[0].hits == []  # no single piece holds both words


def test_more_matches_than_the_window_rank_the_most_recently_edited_and_say_so(
    alice, new_design, monkeypatch
):
    monkeypatch.setattr(selectors, "WINDOW", 2)
    now = timezone.now()
    oldest = new_design("Kafka oldest")
    middle = new_design("Middle", summary="Kafka in the summary.")
    newest = new_design("Newest")
    write(newest, 1, "Kafka in a section.")
    for age, design in ((3, oldest), (2, middle), (1, newest)):
        Design.objects.filter(pk=design.pk).update(last_edited_at=now - timedelta(days=age))
    found = search(fetched_by=alice, query="kafka")
    assert found.capped
    assert found.total == 2
    # The oldest, a title match, is outside the window; the window is ranked as before.
    assert [r.design.pk for r in found.results] == [middle.pk, newest.pk]
    assert found.note.startswith("More than 2 designs match “kafka”")
    # A page past the end keeps the capped total and the note.
    past = search(fetched_by=alice, query="kafka", page=3, per_page=1)
    assert past.results == [] and past.total == 2 and past.capped


def test_as_many_matches_as_the_window_are_counted_exactly(alice, new_design, monkeypatch):
    monkeypatch.setattr(selectors, "WINDOW", 2)
    new_design("Kafka one")
    new_design("Kafka two")
    found = search(fetched_by=alice, query="kafka")
    assert found.total == 2 and not found.capped and found.note == ""
