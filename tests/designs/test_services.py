"""Design, section and history writes, on PostgreSQL."""

import pytest
from django.core.exceptions import ValidationError

from designs import services
from designs.models import Design, Revision, Section, TemplateSection
from tests.factories import MembershipFactory, TeamFactory, UserFactory, make_template

pytestmark = pytest.mark.django_db


def _section(design, position=1) -> Section:
    return design.sections.get(position=position)


# Creating designs -------------------------------------------------------------------------


def test_design_copies_every_template_section_in_order_with_guidance(team, alice):
    template = make_template(section_count=5)
    design = services.design_create(team=team, title="Queue", created_by=alice, template=template)
    sections = list(design.sections.order_by("position"))
    assert [s.key for s in sections] == [f"part-{n}" for n in range(1, 6)]
    assert sections[2].guidance == "- what part 3 covers"
    assert "<li>what part 3 covers</li>" in sections[2].guidance_html
    assert all(s.state == Section.State.EMPTY and s.version == 0 for s in sections)
    assert (design.section_count, design.covered_count) == (5, 0)


def test_default_template_is_the_seventeen_checklist_sections(design):
    keys = list(design.sections.order_by("position").values_list("key", flat=True))
    assert len(keys) == 17
    assert keys[0] == "who-is-your-customer"
    assert keys[-1] == "resource-estimation"
    estimation = design.sections.get(key="resource-estimation")
    assert "Quick and rough calculations" in estimation.guidance


def test_later_template_edits_do_not_change_existing_designs(team, alice):
    template = make_template(section_count=3)
    design = services.design_create(team=team, title="Cache", created_by=alice, template=template)
    TemplateSection.objects.filter(template=template, position=1).update(
        title="Renamed", guidance="New guidance"
    )
    TemplateSection.objects.create(template=template, position=4, key="extra", title="Extra")
    first = _section(design)
    assert (first.title, first.guidance) == ("Part 1", "- what part 1 covers")
    assert design.sections.count() == 3


def test_only_team_members_can_create_designs_in_a_team(team, outsider):
    with pytest.raises(PermissionError):
        services.design_create(team=team, title="Sneaky", created_by=outsider)
    assert not Design.objects.filter(title="Sneaky").exists()


def test_a_template_of_another_team_is_refused(team, alice):
    other = TeamFactory()
    template = make_template(section_count=2, team=other)
    with pytest.raises(ValidationError) as caught:
        services.design_create(team=team, title="X", created_by=alice, template=template)
    assert "template" in caught.value.message_dict


@pytest.mark.parametrize(
    ("title", "field"),
    [("   ", "title"), ("x" * 201, "title"), ("bad\x00title", "title"), ("tab\x07bell", "title")],
)
def test_bad_titles_are_refused_and_nothing_is_created(team, alice, title, field):
    with pytest.raises(ValidationError) as caught:
        services.design_create(team=team, title=title, created_by=alice)
    assert field in caught.value.message_dict
    assert not Design.objects.exists()


def test_design_update_changes_title_and_summary(design, alice):
    services.design_update(design=design, title=" New title ", summary="Why", edited_by=alice)
    design.refresh_from_db()
    assert (design.title, design.summary) == ("New title", "Why")


# Saving sections --------------------------------------------------------------------------


def test_save_stores_body_rendered_html_and_a_revision(design, alice):
    section = _section(design)
    saved = services.section_update(
        section=section, body="Hello **world**", base_version=0, edited_by=alice
    )
    assert saved.version == 1
    assert saved.state == Section.State.DRAFT
    assert saved.body_html == "<p>Hello <strong>world</strong></p>\n"
    revision = Revision.objects.get(section=section)
    assert (revision.version, revision.body, revision.author) == (1, "Hello **world**", alice)


def test_save_from_a_stale_version_is_refused_and_keeps_the_winner(design, alice, bob):
    section = _section(design)
    services.section_update(section=section, body="first", base_version=0, edited_by=alice)
    with pytest.raises(services.SectionConflict) as caught:
        services.section_update(section=section, body="second", base_version=0, edited_by=bob)
    assert caught.value.current.body == "first"
    assert caught.value.current.version == 1
    section.refresh_from_db()
    assert section.body == "first"
    assert Revision.objects.filter(section=section).count() == 1


def test_a_save_that_changes_nothing_writes_no_revision(design, alice):
    section = _section(design)
    services.section_update(section=section, body="same", base_version=0, edited_by=alice)
    again = services.section_update(section=section, body="same", base_version=1, edited_by=alice)
    assert again.version == 1
    assert Revision.objects.filter(section=section).count() == 1


def test_saving_unchanged_text_over_a_newer_version_is_a_conflict_not_a_no_op(design, alice):
    read_by_bob = _section(design)
    services.section_update(
        section=_section(design), body="alice's", base_version=0, edited_by=alice
    )
    with pytest.raises(services.SectionConflict) as caught:
        services.section_update(section=read_by_bob, body="", base_version=0, edited_by=alice)
    assert caught.value.current.body == "alice's"
    assert read_by_bob.version == 0  # the caller's object is left as they read it


def test_save_updates_the_designs_last_edit(design, bob, team):
    MembershipFactory(team=team, user=bob)
    services.section_update(section=_section(design), body="x", base_version=0, edited_by=bob)
    design.refresh_from_db()
    assert design.last_edited_by == bob


def test_section_saved_signal_carries_the_new_version(design, alice):
    from designs.signals import section_saved

    seen = []

    def receiver(sender, section, previous_version, edited_by, **kwargs):
        seen.append((section.version, previous_version, edited_by))

    section_saved.connect(receiver)
    try:
        services.section_update(section=_section(design), body="x", base_version=0, edited_by=alice)
    finally:
        section_saved.disconnect(receiver)
    assert seen == [(1, 0, alice)]


def test_body_over_the_size_limit_is_refused(design, alice, settings):
    settings.CRIT_SECTION_BODY_MAX_BYTES = 100
    section = _section(design)
    with pytest.raises(ValidationError) as caught:
        services.section_update(section=section, body="é" * 51, base_version=0, edited_by=alice)
    assert "body" in caught.value.message_dict
    section.refresh_from_db()
    assert section.version == 0


def test_control_characters_in_a_body_are_refused(design, alice):
    with pytest.raises(ValidationError) as caught:
        services.section_update(
            section=_section(design), body="ok\x1bnot ok", base_version=0, edited_by=alice
        )
    assert "U+001B" in caught.value.message_dict["body"][0]


def test_tabs_and_newlines_are_fine_in_a_body(design, alice):
    saved = services.section_update(
        section=_section(design), body="a\tb\r\nc\n", base_version=0, edited_by=alice
    )
    assert saved.version == 1


# State rules and coverage -----------------------------------------------------------------


def test_not_applicable_needs_a_reason(design, alice):
    with pytest.raises(ValidationError) as caught:
        services.section_update(
            section=_section(design),
            body="",
            state=Section.State.NOT_APPLICABLE,
            na_reason="  ",
            base_version=0,
            edited_by=alice,
        )
    assert "na_reason" in caught.value.message_dict


def test_answered_needs_a_body(design, alice):
    with pytest.raises(ValidationError) as caught:
        services.section_update(
            section=_section(design),
            body="   ",
            state=Section.State.ANSWERED,
            base_version=0,
            edited_by=alice,
        )
    assert "body" in caught.value.message_dict


def test_clearing_the_body_makes_the_section_empty_again(design, alice):
    section = _section(design)
    services.section_update(section=section, body="x", base_version=0, edited_by=alice)
    saved = services.section_update(section=section, body="", base_version=1, edited_by=alice)
    assert saved.state == Section.State.EMPTY
    assert saved.body_html == ""


def test_an_unknown_state_is_refused(design, alice):
    with pytest.raises(ValidationError):
        services.section_update(
            section=_section(design), body="x", state="done", base_version=0, edited_by=alice
        )


def test_coverage_counts_answered_and_not_applicable_sections(design, alice):
    services.section_update(
        section=_section(design, 1),
        body="An answer",
        state=Section.State.ANSWERED,
        base_version=0,
        edited_by=alice,
    )
    services.section_update(
        section=_section(design, 2),
        body="",
        state=Section.State.NOT_APPLICABLE,
        na_reason="No API here",
        base_version=0,
        edited_by=alice,
    )
    services.section_update(
        section=_section(design, 3), body="Half done", base_version=0, edited_by=alice
    )
    design.refresh_from_db()
    assert (design.covered_count, design.section_count) == (2, 17)
    assert design.coverage_percent == 12


def test_coverage_drops_when_an_answered_section_goes_back_to_draft(design, alice):
    section = _section(design)
    services.section_update(
        section=section, body="x", state=Section.State.ANSWERED, base_version=0, edited_by=alice
    )
    services.section_update(
        section=section, body="x", state=Section.State.DRAFT, base_version=1, edited_by=alice
    )
    design.refresh_from_db()
    assert design.covered_count == 0


def test_design_status_set_refuses_unknown_statuses(design):
    with pytest.raises(ValidationError):
        services.design_status_set(design=design, status="shipped")
    services.design_status_set(design=design, status=Design.Status.IN_REVIEW)
    design.refresh_from_db()
    assert design.status == Design.Status.IN_REVIEW


# Restore ----------------------------------------------------------------------------------


def test_restore_makes_an_old_text_the_newest_version(design, alice):
    section = _section(design)
    services.section_update(section=section, body="one", base_version=0, edited_by=alice)
    services.section_update(section=section, body="two", base_version=1, edited_by=alice)
    restored = services.section_restore(
        section=section, version=1, base_version=2, restored_by=alice
    )
    assert (restored.version, restored.body) == (3, "one")
    newest = Revision.objects.get(section=section, version=3)
    assert newest.restored_from == 1
    assert list(
        Revision.objects.filter(section=section).order_by("version").values_list("body", flat=True)
    ) == ["one", "two", "one"]


def test_restore_from_a_stale_page_is_a_conflict(design, alice):
    section = _section(design)
    services.section_update(section=section, body="one", base_version=0, edited_by=alice)
    services.section_update(section=section, body="two", base_version=1, edited_by=alice)
    with pytest.raises(services.SectionConflict):
        services.section_restore(section=section, version=1, base_version=1, restored_by=alice)


def test_restoring_a_missing_version_is_refused(design, alice):
    with pytest.raises(ValidationError):
        services.section_restore(
            section=_section(design), version=9, base_version=0, restored_by=alice
        )


def test_reader_grant_is_idempotent(design):
    reader = UserFactory(username="reader")
    services.design_reader_grant(design=design, user=reader)
    services.design_reader_grant(design=design, user=reader)
    assert design.reader_grants.filter(user=reader).count() == 1
