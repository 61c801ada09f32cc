"""Full-text search on PostgreSQL: a weighted ``tsvector`` column on designs, sections and
comments, computed by the database on every write (GENERATED ALWAYS ... STORED), each with a
GIN index. Django's models do not know the columns (no state change): only the search app
reads them, in SQL. On SQLite this migration does nothing (search falls back to a simple
case-insensitive match, see search/selectors.py).

Weights: a design's title A, its summary B, a section's title and body C, a comment D.
Adding a stored generated column rewrites the table under an exclusive lock: 137 s for
20,000 designs (340,000 sections, 400,000 comments) on the development machine, so about 12
minutes at 100,000 designs (docs/operations.md, "Search").
"""

from django.db import migrations

COLUMNS = [
    (
        "designs_design",
        "design_search_vector",
        "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')"
        " || setweight(to_tsvector('english'::regconfig, coalesce(summary, '')), 'B')",
        "",
    ),
    (
        "designs_section",
        "section_search_vector",
        "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'C')"
        " || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'C')",
        "",
    ),
    (
        "reviews_comment",
        "comment_search_vector",
        "setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'D')",
        # A deleted comment's body is emptied; it is never searched.
        " WHERE deleted_at IS NULL",
    ),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, index, expression, condition in COLUMNS:
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({expression}) STORED"
        )
        schema_editor.execute(
            f"CREATE INDEX {index} ON {table} USING gin (search_vector){condition}"
        )
    # Statistics on the new columns at once, so the planner knows which words are rare.
    schema_editor.execute("ANALYZE designs_design, designs_section, reviews_comment")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, index, _expression, _condition in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")


class Migration(migrations.Migration):
    dependencies = [
        ("designs", "0009_scale_design_team_stamp"),
        ("reviews", "0008_notification_kinds_signoff_and_rereview"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
