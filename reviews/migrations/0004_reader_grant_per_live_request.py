"""One reader grant per live review request and no other: grants left behind by
withdrawals (the reviewer was on the team then) go, and requests made of team members get
the grant they now carry, so leaving the team does not end a live request's access."""

from django.db import migrations
from django.db.models import Exists, OuterRef


def reconcile(apps, schema_editor):
    DesignReader = apps.get_model("designs", "DesignReader")
    ReviewRequest = apps.get_model("reviews", "ReviewRequest")
    live = ReviewRequest.objects.filter(design=OuterRef("design"), reviewer=OuterRef("user"))
    DesignReader.objects.exclude(Exists(live)).delete()
    granted = DesignReader.objects.filter(design=OuterRef("design"), user=OuterRef("reviewer"))
    DesignReader.objects.bulk_create(
        [
            DesignReader(design_id=design_id, user_id=reviewer_id)
            for design_id, reviewer_id in ReviewRequest.objects.exclude(Exists(granted))
            .values_list("design_id", "reviewer_id")
            .iterator()
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("designs", "0003_design_live_approval_count"),
        ("reviews", "0003_notification_mention_once_and_held_emails"),
    ]

    operations = [migrations.RunPython(reconcile, migrations.RunPython.noop, elidable=True)]
