"""Reads that depend on who asks: access, the dashboard list, history and diffs."""

from datetime import timedelta

import pytest
from django.db import connection
from django.http import Http404

from designs import selectors, services
from designs.models import Design, Revision, Section
from tests.factories import MembershipFactory, TeamFactory, UserFactory, make_design

pytestmark = pytest.mark.django_db


def _save(section, body, user):
    section.refresh_from_db()
    return services.section_update(
        section=section, body=body, base_version=section.version, edited_by=user
    )


def _age(section, version, minutes):
    """Pretend revision ``version`` was written ``minutes`` ago."""
    revision = Revision.objects.get(section=section, version=version)
    Revision.objects.filter(pk=revision.pk).update(
        created_at=revision.created_at - timedelta(minutes=minutes)
    )


# Access -----------------------------------------------------------------------------------


def test_member_gets_edit_access(design, alice):
    access = selectors.design_get_for(alice, design.pk, for_edit=True)
    assert access.design == design
    assert access.is_member and access.can_edit


def test_outsider_gets_404_not_403(design, outsider):
    with pytest.raises(Http404):
        selectors.design_get_for(outsider, design.pk)


def test_unknown_design_is_404(alice):
    with pytest.raises(Http404):
        selectors.design_get_for(alice, 999_999)


def test_reader_can_read_but_not_edit(design):
    reader = UserFactory(username="reviewer")
    services.design_reader_grant(design=design, user=reader)
    access = selectors.design_get_for(reader, design.pk)
    assert not access.can_edit
    with pytest.raises(PermissionError):
        selectors.design_get_for(reader, design.pk, for_edit=True)


def test_section_of_another_design_is_404(design, alice):
    other = make_design(author=alice, title="Other")
    # Both designs come from one template: give the other's section a key of its own.
    Section.objects.filter(pk=other.sections.first().pk).update(key="only-in-other")
    _, found = selectors.section_get_for(alice, other.pk, "only-in-other")
    assert found.design_id == other.pk
    with pytest.raises(Http404):
        selectors.section_get_for(alice, design.pk, "only-in-other")
    with pytest.raises(Http404):
        selectors.section_get_for(alice, design.pk, "only-in-other", for_edit=True)


def test_access_check_is_one_query(design, alice, django_assert_num_queries):
    with django_assert_num_queries(1):
        access = selectors.design_get_for(alice, design.pk)
        assert access.design.team.name == "Platform"


# Dashboard list ---------------------------------------------------------------------------


def test_design_list_shows_team_and_reader_designs_only(design, alice):
    stranger_design = make_design(title="Not yours")
    reader = UserFactory(username="reader")
    services.design_reader_grant(design=stranger_design, user=reader)
    assert list(selectors.design_list(fetched_by=alice)) == [design]
    assert list(selectors.design_list(fetched_by=reader)) == [stranger_design]


def test_design_list_sees_a_design_both_on_the_team_and_read_by_grant_once(design, alice):
    services.design_reader_grant(design=design, user=alice)
    designs = selectors.design_list(fetched_by=alice)
    assert list(designs) == [design] and designs.count() == 1


def test_design_list_reads_the_viewers_teams_and_grants_once_not_per_design(alice):
    # At 100,000 designs (bench/scale.py) a test per row made the dashboard's count 120 ms
    # instead of 10: PostgreSQL answers ``= ANY(ARRAY(subquery))`` from the indexes.
    sql = str(selectors.design_list(fetched_by=alice).query)
    assert "EXISTS" not in sql
    if connection.vendor == "postgresql":
        assert sql.count("= ANY(ARRAY(SELECT") == 2


def test_design_list_filters_by_team_and_status(team, alice):
    second_team = TeamFactory(name="Data", created_by=alice)
    in_platform = make_design(team=team, author=alice, title="A")
    in_data = make_design(team=second_team, author=alice, title="B")
    services.design_status_set(design=in_data, status=Design.Status.IN_REVIEW)
    assert list(selectors.design_list(fetched_by=alice, team_id=team.pk)) == [in_platform]
    assert list(selectors.design_list(fetched_by=alice, status="in_review")) == [in_data]


def test_design_list_is_newest_edit_first(team, alice):
    older = make_design(team=team, author=alice, title="Older")
    newer = make_design(team=team, author=alice, title="Newer")
    assert list(selectors.design_list(fetched_by=alice)) == [newer, older]
    _save(older.sections.first(), "edited", alice)
    assert list(selectors.design_list(fetched_by=alice)) == [older, newer]


# History ----------------------------------------------------------------------------------


def test_quick_saves_by_one_author_fold_into_one_entry(design, alice):
    section = design.sections.first()
    for text in ("one", "two", "three"):
        _save(section, text, alice)
    entries = selectors.section_history(section=section)
    assert len(entries) == 1
    assert (entries[0].first_version, entries[0].version, entries[0].save_count) == (1, 3, 3)


def test_saves_further_apart_than_the_window_are_separate(design, alice, settings):
    settings.CRIT_HISTORY_FOLD_SECONDS = 300
    section = design.sections.first()
    _save(section, "one", alice)
    _save(section, "two", alice)
    _age(section, 1, minutes=10)
    entries = selectors.section_history(section=section)
    assert [(e.first_version, e.version) for e in entries] == [(2, 2), (1, 1)]


def test_another_authors_save_breaks_the_fold(design, alice, team):
    bob = MembershipFactory(team=team, user=UserFactory(username="bob")).user
    section = design.sections.first()
    _save(section, "one", alice)
    _save(section, "two", bob)
    _save(section, "three", alice)
    entries = selectors.section_history(section=section)
    assert [(e.author.username, e.version) for e in entries] == [
        ("alice", 3),
        ("bob", 2),
        ("alice", 1),
    ]


def test_a_restore_stands_alone_in_history(design, alice):
    section = design.sections.first()
    _save(section, "one", alice)
    _save(section, "two", alice)
    services.section_restore(section=section, version=1, base_version=2, restored_by=alice)
    entries = selectors.section_history(section=section)
    assert [(e.first_version, e.version, e.restored_from) for e in entries] == [
        (3, 3, 1),
        (1, 2, None),
    ]


def test_history_is_read_in_one_query(design, alice, django_assert_num_queries):
    section = design.sections.first()
    for n in range(12):
        _save(section, f"text {n}", alice)
    with django_assert_num_queries(1):
        entries = selectors.section_history(section=section)
        assert entries[0].author.username == "alice"


# Diffs ------------------------------------------------------------------------------------


def test_revision_text_of_version_zero_is_empty(design):
    assert selectors.revision_text(section=design.sections.first(), version=0) == ""


def test_revision_text_of_a_missing_version_is_404(design):
    with pytest.raises(Http404):
        selectors.revision_text(section=design.sections.first(), version=4)


def test_diff_marks_changed_words_inside_a_changed_line():
    lines = selectors.text_diff("the quick brown fox", "the slow brown fox")
    assert [line.kind for line in lines] == ["delete", "insert"]
    assert lines[0].html == "the <del>quick</del> brown fox"
    assert lines[1].html == "the <ins>slow</ins> brown fox"


def test_diff_keeps_equal_lines_and_lists_added_ones():
    lines = selectors.text_diff("a\nb", "a\nb\nc\nd")
    assert [(line.kind, str(line.html)) for line in lines] == [
        ("equal", "a"),
        ("equal", "b"),
        ("insert", "c"),
        ("insert", "d"),
    ]


def test_diff_escapes_html_in_the_texts():
    lines = selectors.text_diff("", "<script>alert(1)</script>")
    assert [str(line.html) for line in lines] == ["&lt;script&gt;alert(1)&lt;/script&gt;"]
    changed = selectors.text_diff("<b>x</b>", "<i>x</i>")
    assert "<b>" not in "".join(str(line.html) for line in changed)
