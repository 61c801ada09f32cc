"""Load the default template: the system-design checklist, 17 sections in order."""

from django.db import migrations

from designs.checklists import default_checklist

SLUG = "system-design"


def load(apps, schema_editor):
    Template = apps.get_model("designs", "Template")
    TemplateSection = apps.get_model("designs", "TemplateSection")
    template, _ = Template.objects.update_or_create(
        slug=SLUG,
        defaults={
            "name": "System design checklist",
            "description": "The 17-section checklist: from the customer to resource estimation.",
            "is_default": True,
            "team": None,
        },
    )
    for position, section in enumerate(default_checklist(), start=1):
        TemplateSection.objects.update_or_create(
            template=template,
            key=section.key,
            defaults={"position": position, "title": section.title, "guidance": section.guidance},
        )


def unload(apps, schema_editor):
    apps.get_model("designs", "Template").objects.filter(slug=SLUG).delete()


class Migration(migrations.Migration):
    dependencies = [("designs", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
