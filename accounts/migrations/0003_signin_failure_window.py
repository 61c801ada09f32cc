from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_team_invitations_and_per_creator_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="SignInFailureWindow",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=100, unique=True)),
                ("count", models.PositiveIntegerField(default=0)),
                ("started_at", models.DateTimeField()),
                ("ends_at", models.DateTimeField(db_index=True)),
            ],
        ),
    ]
