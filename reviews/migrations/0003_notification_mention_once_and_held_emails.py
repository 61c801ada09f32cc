"""A mention in a comment is notified once per person (earlier repeats are removed first),
and notification emails may be held for the hourly digest."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import Min


def drop_repeated_mentions(apps, schema_editor):
    """Keep each person's first mention notification per comment, as the constraint will."""
    Notification = apps.get_model("reviews", "Notification")
    mentions = Notification.objects.filter(kind="mention", comment__isnull=False)
    first = mentions.values("recipient", "comment").annotate(first=Min("pk")).values("first")
    mentions.exclude(pk__in=first).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("designs", "0003_design_live_approval_count"),
        ("reviews", "0002_fill_live_approval_count"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="email_status",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "Not emailed"),
                    ("sent", "Sent"),
                    ("skipped", "Skipped (settings, or no longer a reader)"),
                    ("held", "Held for the digest (hourly email cap)"),
                    ("failed", "Failed"),
                ],
                default="",
                max_length=10,
            ),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("email_status", "held")),
                fields=["recipient"],
                name="notification_email_held",
            ),
        ),
        migrations.RunPython(drop_repeated_mentions, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "mention")),
                fields=("recipient", "comment"),
                name="notification_mention_once",
            ),
        ),
    ]
