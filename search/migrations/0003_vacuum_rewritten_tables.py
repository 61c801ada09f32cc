"""0001 added its stored columns by rewriting designs_design, designs_section and
reviews_comment, which leaves their visibility maps empty: until a VACUUM, every index-only
scan reads the table too. The dashboard's open-issues count (an index-only scan of
``comment_open_issues``) then took 230-310 ms at 100,000 designs instead of 10-25 ms. VACUUM
cannot run in a transaction, hence ``atomic = False``; it takes about 10 s at 100,000 designs
and locks nothing that saves or reads need. PostgreSQL only."""

from django.db import migrations

TABLES = "designs_design, designs_section, reviews_comment"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"VACUUM (ANALYZE) {TABLES}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("search", "0002_design_document")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
