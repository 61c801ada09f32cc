"""Count each design's live approvals into the column a section save reads."""

from django.db import migrations
from django.db.models import Count, OuterRef, Subquery


def fill(apps, schema_editor):
    Design = apps.get_model("designs", "Design")
    Verdict = apps.get_model("reviews", "Verdict")
    live = Verdict.objects.filter(kind="approve", stale_at__isnull=True)
    count = (
        live.filter(design=OuterRef("pk")).order_by().values("design").annotate(n=Count("pk"))
    )
    Design.objects.filter(pk__in=live.values("design")).update(
        live_approval_count=Subquery(count.values("n"))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("designs", "0003_design_live_approval_count"),
        ("reviews", "0001_initial"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
