"""Team templates: create, copy, edit, versions, and what an edit never touches."""

import pytest
from django.core.exceptions import ValidationError

from designs import selectors
from designs import template_services as ts
from designs.checklists import DEFAULT_CHECKLIST, default_checklist
from designs.models import Design, Section, Template, TemplateVersion
from tests.factories import MembershipFactory, TeamFactory, default_template, make_design

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return TeamFactory(name="Platform")


@pytest.fixture
def owner(team):
    return team.created_by


def _template(team, owner, titles=("Context", "Goals", "Risks")):
    return ts.template_create(
        team=team,
        name="RFC",
        description="Our RFC shape.",
        sections=[ts.SectionDraft(title=t, guidance=f"- about {t}") for t in titles],
        created_by=owner,
    )


def _titles(template: Template) -> list[str]:
    return [s.title for s in selectors.template_sections(template=template)]


def test_owner_creates_a_template_at_version_one_with_a_frozen_copy(team, owner):
    template = _template(team, owner)

    assert template.version == 1
    assert _titles(template) == ["Context", "Goals", "Risks"]
    frozen = TemplateVersion.objects.get(template=template)
    assert frozen.version == 1
    assert [s["title"] for s in frozen.snapshot["sections"]] == ["Context", "Goals", "Risks"]


def test_a_plain_member_cannot_create_or_edit_a_template(team, owner):
    member = MembershipFactory(team=team).user
    with pytest.raises(PermissionError):
        _template(team, member)
    template = _template(team, owner)
    with pytest.raises(PermissionError):
        ts.template_section_add(template=template, title="More", edited_by=member)
    assert _titles(template) == ["Context", "Goals", "Risks"]


def test_the_builtin_checklist_cannot_be_edited(owner):
    with pytest.raises(PermissionError):
        ts.template_section_add(template=default_template(), title="Mine", edited_by=owner)
    assert default_template().sections.count() == 17


def test_reorder_by_move_and_by_whole_order_each_make_a_version(team, owner):
    template = _template(team, owner)

    ts.template_section_move(template=template, key="risks", offset=-1, edited_by=owner)
    assert _titles(template) == ["Context", "Risks", "Goals"]
    ts.template_section_move(template=template, key="context", offset=-1, edited_by=owner)
    assert _titles(template) == ["Context", "Risks", "Goals"]  # already first: no change
    ts.template_sections_reorder(
        template=template, keys=["goals", "context", "risks"], edited_by=owner
    )
    assert _titles(template) == ["Goals", "Context", "Risks"]

    template.refresh_from_db()
    assert template.version == 3
    assert list(template.versions.values_list("version", flat=True)) == [3, 2, 1]
    with pytest.raises(ValidationError):
        ts.template_sections_reorder(template=template, keys=["goals"], edited_by=owner)


def test_retitle_keeps_the_key_and_stores_roles_and_guidance(team, owner):
    template = _template(team, owner)

    ts.template_section_update(
        template=template,
        key="goals",
        title="Goals and non-goals",
        guidance="- what is **out**",
        signoff_roles=ts.parse_roles("security, , SRE,security"),
        edited_by=owner,
    )

    section = template.sections.get(key="goals")
    assert section.title == "Goals and non-goals"
    assert section.guidance == "- what is **out**"
    assert section.signoff_roles == ["security", "SRE"]


def test_add_and_remove_sections_and_keep_at_least_one(team, owner):
    template = _template(team, owner, titles=("Only",))
    ts.template_section_add(template=template, title="Second", edited_by=owner)
    ts.template_section_add(template=template, title="Second", edited_by=owner)
    assert list(template.sections.values_list("key", flat=True)) == [
        "only",
        "second",
        "second-2",
    ]
    ts.template_section_remove(template=template, key="second", edited_by=owner)
    ts.template_section_remove(template=template, key="second-2", edited_by=owner)
    with pytest.raises(ValidationError):
        ts.template_section_remove(template=template, key="only", edited_by=owner)


def test_template_edits_never_touch_existing_designs(team, owner):
    template = _template(team, owner)
    design = make_design(team=team, author=owner, template=template, title="Before")
    before = list(design.sections.values_list("key", "title", "guidance", "position"))

    ts.template_section_update(
        template=template,
        key="context",
        title="Background",
        guidance="new",
        signoff_roles=[],
        edited_by=owner,
    )
    ts.template_section_remove(template=template, key="risks", edited_by=owner)
    ts.template_section_add(template=template, title="Rollout", edited_by=owner)
    ts.template_section_move(template=template, key="rollout", offset=-2, edited_by=owner)

    design.refresh_from_db()
    assert list(design.sections.values_list("key", "title", "guidance", "position")) == before
    assert design.section_count == 3
    assert design.template_version == 1
    after = make_design(team=team, author=owner, template=template, title="After")
    assert after.template_version == Template.objects.get(pk=template.pk).version == 5
    assert list(after.sections.values_list("title", flat=True)) == [
        "Rollout",
        "Background",
        "Goals",
    ]


def test_a_design_records_the_builtin_version(team, owner):
    design = make_design(team=team, author=owner)
    assert design.template_version == default_template().version == 1


def test_copy_of_the_builtin_has_its_sections_and_can_then_be_edited(team, owner):
    copy = ts.template_copy(source=default_template(), team=team, created_by=owner)

    assert copy.team == team
    assert copy.name == "System design checklist (copy)"
    builtin = list(default_template().sections.values_list("key", "title", "guidance"))
    assert list(copy.sections.values_list("key", "title", "guidance")) == builtin
    ts.template_section_remove(template=copy, key=builtin[0][0], edited_by=owner)
    assert default_template().sections.count() == 17


def test_copy_of_another_teams_template_is_refused(team, owner):
    rival = TeamFactory()
    theirs = _template(rival, rival.created_by)
    with pytest.raises(ValidationError):
        ts.template_copy(source=theirs, team=team, created_by=owner)


def test_import_from_the_shipped_checklist_file_gives_the_builtin_sections(team, owner):
    text = DEFAULT_CHECKLIST.read_text(encoding="utf-8")

    template = ts.template_create_from_markdown(team=team, text=text, name="Ours", created_by=owner)

    expected = [(s.key, s.title, s.guidance) for s in default_checklist()]
    assert list(template.sections.values_list("key", "title", "guidance")) == expected


def test_import_from_a_checklist_without_a_link_list_uses_headings_and_bullets(team, owner):
    text = "# Service RFC\n\n## Why\n\n- the problem\n- who has it\n\n## How\n\n### Detail\n- x\n"

    template = ts.template_create_from_markdown(team=team, text=text, created_by=owner)

    assert template.name == "Service RFC"
    assert list(template.sections.values_list("key", "title", "guidance")) == [
        ("why", "Why", "- the problem\n- who has it"),
        ("how", "How", "### Detail\n- x"),
    ]


@pytest.mark.parametrize(
    "text",
    ["just words, no headings\n", "", "a\x00b"],
    ids=["no-headings", "empty", "nul"],
)
def test_a_checklist_that_cannot_be_read_is_refused_and_nothing_is_made(team, owner, text):
    with pytest.raises(ValidationError):
        ts.template_create_from_markdown(team=team, text=text, created_by=owner)
    assert not Template.objects.filter(team=team).exists()


def test_bad_section_titles_are_refused_without_a_half_made_template(team, owner):
    with pytest.raises(ValidationError):
        ts.template_create(
            team=team,
            name="RFC",
            sections=[ts.SectionDraft(title="Fine"), ts.SectionDraft(title="  ")],
            created_by=owner,
        )
    assert not Template.objects.filter(team=team).exists()
    assert Design.objects.count() == Section.objects.values("design").distinct().count()


def test_keys_that_are_not_url_slugs_are_replaced(team, owner):
    template = ts.template_create(
        team=team,
        name="RFC",
        sections=[
            ts.SectionDraft(title="Café", key="café"),
            ts.SectionDraft(title="Two", key="a b"),
            ts.SectionDraft(title="Three", key="fine-key"),
            ts.SectionDraft(title="Four", key="fine-key"),
        ],
        created_by=owner,
    )
    assert _keys(template) == ["cafe", "two", "fine-key", "four"]


def _keys(template):
    return list(template.sections.values_list("key", flat=True))
