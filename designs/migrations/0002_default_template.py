"""Load the default template: the system-design checklist, 17 sections in order."""

from django.db import migrations

from designs.checklists import DEFAULT_TEMPLATE_SLUG, install_default_template


def load(apps, schema_editor):
    install_default_template(
        apps.get_model("designs", "Template"), apps.get_model("designs", "TemplateSection")
    )


def unload(apps, schema_editor):
    apps.get_model("designs", "Template").objects.filter(slug=DEFAULT_TEMPLATE_SLUG).delete()


class Migration(migrations.Migration):
    dependencies = [("designs", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
