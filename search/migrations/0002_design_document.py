"""One search row per design (PostgreSQL): ``search_designdocument`` holds a design's whole
text as one weighted ``tsvector`` (its title A and summary B, its sections' titles and
bodies C in order, its live comments D in order), with a GIN index. A search matches and
ranks designs on this one row instead of every section and comment (search/selectors.py),
so a word found in most designs costs a bounded window, not every matching piece.

The vector is put together from the per-piece ``search_vector`` columns of 0001 with the
aggregate ``tsvector_agg`` (``tsvector_concat`` over rows), so no text is parsed twice; the
search app's receivers keep it current in the writing transaction (search/services.py).
The backfill is one INSERT ... SELECT: about 2 minutes at 100,000 designs (1.7 million
sections, 2 million comments) on the development machine, docs/operations.md ("Search").
On SQLite this migration does nothing.
"""

from django.db import migrations

TABLE = "search_designdocument"

BACKFILL = f"""
INSERT INTO {TABLE} (design_id, vector)
SELECT d.id,
       d.search_vector
       || coalesce((SELECT tsvector_agg(s.search_vector ORDER BY s.position, s.id)
                      FROM designs_section s WHERE s.design_id = d.id), '')
       || coalesce((SELECT tsvector_agg(c.search_vector ORDER BY c.id)
                      FROM reviews_comment c
                     WHERE c.design_id = d.id AND c.deleted_at IS NULL), '')
  FROM designs_design d
"""  # noqa: S608


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE AGGREGATE tsvector_agg(tsvector) "
        "(SFUNC = tsvector_concat, STYPE = tsvector, INITCOND = '')"
    )
    schema_editor.execute(
        # No foreign key: Django does not know this table, and one would stop it emptying
        # designs_design (flush, the tests' TRUNCATE). A deleted design's row goes with it
        # (search/receivers.py); a search only reads rows of designs that exist.
        f"CREATE TABLE {TABLE} (design_id bigint PRIMARY KEY, vector tsvector NOT NULL)"
    )
    schema_editor.execute(BACKFILL)
    # A save adds its design's ~700 words to the index's pending list (fast); the list is
    # merged into the index when it is full, by the save that fills it: kept at 256 kB
    # (not the default 4 MB), that save waits ~30 ms more, not half a second.
    schema_editor.execute(
        f"CREATE INDEX search_document_vector ON {TABLE} USING gin (vector) "
        "WITH (gin_pending_list_limit = 256)"
    )
    schema_editor.execute(f"ANALYZE {TABLE}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}")
    schema_editor.execute("DROP AGGREGATE IF EXISTS tsvector_agg(tsvector)")


class Migration(migrations.Migration):
    # The backfill and the index in one transaction with the table: a search never sees a
    # half-filled table.
    dependencies = [
        ("search", "0001_initial"),
        ("designs", "0009_scale_design_team_stamp"),
        ("reviews", "0008_notification_kinds_signoff_and_rereview"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
