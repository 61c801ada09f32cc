"""Crit's own design, seeded by seed_demo, and docs/architecture.md as its Markdown export."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from designs.models import Design, Section
from exports.renderers.markdown import section_bodies

pytestmark = pytest.mark.django_db

CONTENT = Path(django_settings.BASE_DIR) / "demo" / "content" / "crit"
DOC = Path(django_settings.BASE_DIR) / "docs" / "architecture.md"


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())


def test_seed_demo_writes_crits_own_design_with_every_section_answered(seeded):
    design = Design.objects.get(title="Crit", team__name="Platform")
    sections = list(design.sections.order_by("position"))
    assert len(sections) == 17
    assert {s.state for s in sections} == {Section.State.ANSWERED}
    for section in sections:
        written = (CONTENT / f"{section.key}.md").read_text(encoding="utf-8").rstrip() + "\n"
        assert section.body == written


def test_committed_architecture_doc_is_the_export_of_crits_design(seeded):
    out = StringIO()
    call_command("architecture_doc", check=True, stdout=out)
    assert "up to date" in out.getvalue()
    bodies = section_bodies(DOC.read_text(encoding="utf-8"))
    design = Design.objects.get(title="Crit", team__name="Platform")
    assert bodies == dict(design.sections.values_list("key", "body"))


def test_check_fails_when_the_doc_differs_from_the_design(seeded, tmp_path):
    stale = tmp_path / "architecture.md"
    stale.write_text(DOC.read_text(encoding="utf-8").replace("PostgreSQL", "MySQL", 1))
    with pytest.raises(CommandError, match="stale"):
        call_command("architecture_doc", check=True, output=stale, stdout=StringIO())


def test_writing_the_doc_then_checking_it_passes(seeded, tmp_path):
    target = tmp_path / "architecture.md"
    call_command("architecture_doc", output=target, stdout=StringIO())
    call_command("architecture_doc", check=True, output=target, stdout=StringIO())
    assert target.read_text(encoding="utf-8").startswith("# Crit\n")


def test_architecture_doc_refuses_without_the_seeded_design():
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("architecture_doc", check=True, stdout=StringIO())
