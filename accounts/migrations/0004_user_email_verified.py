"""Emails are verified before they find anyone: a verified address belongs to one account;
addresses are stored lowercased. The demo users count as verified; every other existing
address must be confirmed by its owner first."""

import django.db.models.functions.text
from django.db import migrations, models

DEMO_USERS = {
    "alice": "alice@example.com",
    "bob": "bob@example.com",
    "carol": "carol@example.com",
}


def lowercase_and_verify_demo(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for user in User.objects.exclude(email="").only("pk", "username", "email"):
        email = user.email.strip().lower()
        verified = DEMO_USERS.get(user.username) == email
        User.objects.filter(pk=user.pk).update(email=email, email_verified=verified)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_signin_failure_window"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="user",
            name="user_email_ci_unique",
        ),
        migrations.AddField(
            model_name="user",
            name="email_verified",
            field=models.BooleanField(
                default=False,
                help_text="The owner of the address opened the link mailed to it.",
                verbose_name="email verified",
            ),
        ),
        migrations.RunPython(lowercase_and_verify_demo, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"),
                condition=models.Q(("email_verified", True), models.Q(("email", ""), _negated=True)),
                name="user_verified_email_ci_unique",
            ),
        ),
    ]
