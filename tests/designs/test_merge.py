"""Three-way merge of stale section saves: the text merge itself, and the save service."""

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from designs import services
from designs.merge import SectionText, merge_section, merge_text
from designs.models import Revision, Section

KEY = "who-is-your-customer"
BASE = "one\ntwo\nthree\nfour\nfive\n"


# The text merge --------------------------------------------------------------------------


def test_edits_on_lines_apart_are_both_kept():
    mine = "ONE\ntwo\nthree\nfour\nfive\n"
    theirs = "one\ntwo\nthree\nfour\nFIVE\n"
    assert merge_text(BASE, mine, theirs) == "ONE\ntwo\nthree\nfour\nFIVE\n"


def test_insertions_at_different_places_are_both_kept():
    mine = "zero\none\ntwo\nthree\nfour\nfive\n"
    theirs = "one\ntwo\nthree\nthree and a half\nfour\nfive\n"
    assert merge_text(BASE, mine, theirs) == (
        "zero\none\ntwo\nthree\nthree and a half\nfour\nfive\n"
    )


def test_a_deletion_and_an_edit_elsewhere_merge():
    mine = "one\nthree\nfour\nfive\n"
    theirs = "one\ntwo\nthree\nfour\nfive, edited\n"
    assert merge_text(BASE, mine, theirs) == "one\nthree\nfour\nfive, edited\n"


def test_edits_of_the_same_line_conflict():
    assert (
        merge_text(BASE, "one\nTWO\nthree\nfour\nfive\n", "one\ntwo!\nthree\nfour\nfive\n") is None
    )


def test_edits_of_adjacent_lines_conflict():
    # Nothing unchanged between them says where one edit ends and the other begins.
    assert (
        merge_text(BASE, "one\nTWO\nthree\nfour\nfive\n", "one\ntwo\nTHREE\nfour\nfive\n") is None
    )


def test_two_insertions_at_the_same_place_conflict():
    assert merge_text(BASE, BASE + "mine\n", BASE + "theirs\n") is None


def test_an_insertion_next_to_an_edited_line_conflicts():
    assert (
        merge_text(BASE, "one\nTWO\nthree\nfour\nfive\n", "one\ntwo\nnew\nthree\nfour\nfive\n")
        is None
    )


def test_a_deletion_against_an_edit_of_the_deleted_line_conflicts():
    assert (
        merge_text(BASE, "one\nthree\nfour\nfive\n", "one\ntwo edited\nthree\nfour\nfive\n") is None
    )


def test_the_same_edit_on_both_sides_is_taken_once():
    same = "one\ntwo\nthree!\nfour\nfive\n"
    assert merge_text(BASE, same, same) == same
    mine = "ONE\ntwo\nthree!\nfour\nfive\n"
    assert merge_text(BASE, mine, same) == mine


def test_one_side_unchanged_takes_the_other_whole():
    assert merge_text(BASE, BASE, "anything\n") == "anything\n"
    assert merge_text(BASE, "anything\n", BASE) == "anything\n"


def test_crlf_text_is_merged_and_keeps_its_line_endings():
    base = "one\r\ntwo\r\nthree\r\nfour\r\n"
    mine = "ONE\r\ntwo\r\nthree\r\nfour\r\n"
    theirs = "one\r\ntwo\r\nthree\r\nFOUR\r\n"
    assert merge_text(base, mine, theirs) == "ONE\r\ntwo\r\nthree\r\nFOUR\r\n"


def test_a_side_that_changed_every_line_ending_conflicts_with_any_edit():
    crlf = BASE.replace("\n", "\r\n")
    assert merge_text(BASE, crlf, "one\ntwo\nthree\nfour\nFIVE\n") is None


def test_a_missing_trailing_newline_is_kept_as_written():
    base = "one\ntwo\nthree\nfour"
    assert merge_text(base, "ONE\ntwo\nthree\nfour", "one\ntwo\nthree\nfour!") == (
        "ONE\ntwo\nthree\nfour!"
    )
    # Adding the final newline touches the last line, as any edit of it would.
    assert merge_text(base, "one\ntwo\nthree\nfour\n", "one\ntwo\nthree\nfour!") is None


def test_an_empty_base_with_text_on_both_sides_conflicts():
    assert merge_text("", "mine\n", "theirs\n") is None
    assert merge_text("", "", "theirs\n") == "theirs\n"


def test_unicode_lines_merge():
    base = "café\nnaïve\n—\n日本語\n🙂\n"
    mine = "CAFÉ\nnaïve\n—\n日本語\n🙂\n"
    theirs = "café\nnaïve\n—\n日本語\n🙃 👍\n"
    assert merge_text(base, mine, theirs) == "CAFÉ\nnaïve\n—\n日本語\n🙃 👍\n"


def test_many_distinct_lines_past_the_surrogate_range_merge():
    base = "".join(f"{n}\n" for n in range(60_000))
    mine = "first\n" + base
    theirs = base + "last\n"
    assert merge_text(base, mine, theirs) == "first\n" + base + "last\n"


def test_state_changed_on_one_side_only_is_kept_with_a_merged_body():
    base = SectionText(BASE, "draft", "")
    theirs = SectionText("ONE\ntwo\nthree\nfour\nfive\n", "draft", "")
    merged = merge_section(
        base=base,
        theirs=theirs,
        body="one\ntwo\nthree\nfour\nFIVE\n",
        state="answered",
        na_reason="",
    )
    assert merged == SectionText("ONE\ntwo\nthree\nfour\nFIVE\n", "answered", "")


def test_states_changed_differently_on_both_sides_conflict():
    base = SectionText(BASE, "draft", "")
    theirs = SectionText(BASE, "answered", "")
    assert (
        merge_section(base=base, theirs=theirs, body=BASE, state="not_applicable", na_reason="x")
        is None
    )


def test_an_empty_base_state_counts_as_the_draft_the_editor_shows():
    base = SectionText("", "empty", "")
    theirs = SectionText("", "answered", "")
    merged = merge_section(base=base, theirs=theirs, body="", state="draft", na_reason="")
    assert merged is not None and merged.state == "answered"


# Against git merge-file: the same answers where both see the same edits ------------------

LINES = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "d\n", "e\n", "\n", "f"]), max_size=8)


def _git_merge(base: str, mine: str, theirs: str) -> str | None:
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, text in (("mine", mine), ("base", base), ("theirs", theirs)):
            path = Path(folder) / name
            path.write_bytes(text.encode())
            paths.append(str(path))
        result = subprocess.run(
            ["git", "merge-file", "-p", "--diff3", *paths], capture_output=True, check=False
        )
    return result.stdout.decode() if result.returncode == 0 else None


def _edit(base_lines: list[str], where: int, new: list[str], drop: int) -> str:
    return "".join(base_lines[:where] + new + base_lines[where + drop :])


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@settings(max_examples=400, deadline=None)
@given(
    size=st.integers(min_value=4, max_value=12),
    data=st.data(),
)
def test_edits_merge_or_conflict_like_git(size, data):
    """Distinct base lines, so that both see the same edits; edits apart, adjacent or
    overlapping."""
    base_lines = [f"line {n}\n" for n in range(size)]
    first = data.draw(st.integers(min_value=0, max_value=size - 3))
    first_drop = data.draw(st.integers(min_value=0, max_value=2))
    second = data.draw(st.integers(min_value=first, max_value=size - 1))
    second_drop = data.draw(st.integers(min_value=0, max_value=2))
    mine = _edit(base_lines, first, data.draw(LINES), first_drop)
    theirs = _edit(base_lines, second, data.draw(LINES), second_drop)
    base = "".join(base_lines)
    ours = merge_text(base, mine, theirs)
    assert ours == _git_merge(base, mine, theirs)


@settings(max_examples=300, deadline=None)
@given(base=LINES, mine=LINES, theirs=LINES)
def test_a_merge_is_the_same_whichever_side_is_mine(base, mine, theirs):
    base_text, mine_text, theirs_text = "".join(base), "".join(mine), "".join(theirs)
    assert merge_text(base_text, mine_text, theirs_text) == merge_text(
        base_text, theirs_text, mine_text
    )
    assert merge_text(base_text, mine_text, base_text) == mine_text
    assert merge_text(base_text, base_text, theirs_text) == theirs_text


# The save service ------------------------------------------------------------------------


def _section(design) -> Section:
    return design.sections.get(key=KEY)


@pytest.mark.django_db
def test_a_stale_save_that_does_not_overlap_is_merged_into_one_new_revision(design, alice, bob):
    section = _section(design)
    v1 = services.section_update(section=section, body=BASE, base_version=0, edited_by=alice)
    services.section_update(
        section=v1, body=BASE.replace("one", "ONE"), base_version=1, edited_by=alice
    )
    save = services.section_save(
        section=_section(design), body=BASE.replace("five", "FIVE"), base_version=1, edited_by=bob
    )
    assert save.merged
    stored = _section(design)
    assert stored.body == "ONE\ntwo\nthree\nfour\nFIVE\n"
    assert stored.version == 3
    assert "FIVE" in stored.body_html and "ONE" in stored.body_html
    revision = Revision.objects.get(section=stored, version=3)
    assert revision.body == stored.body and revision.author == bob


@pytest.mark.django_db
def test_a_stale_save_that_overlaps_raises_and_saves_nothing(design, alice, bob):
    section = _section(design)
    services.section_update(section=section, body=BASE, base_version=0, edited_by=alice)
    services.section_update(
        section=_section(design), body=BASE.replace("two", "TWO"), base_version=1, edited_by=alice
    )
    with pytest.raises(services.SectionConflict) as raised:
        services.section_save(
            section=_section(design), body=BASE.replace("two", "2"), base_version=1, edited_by=bob
        )
    assert raised.value.current.version == 2
    assert _section(design).body == BASE.replace("two", "TWO")
    assert Revision.objects.filter(section=section).count() == 2


@pytest.mark.django_db
def test_a_save_from_the_current_version_is_not_called_merged(design, alice):
    save = services.section_save(
        section=_section(design), body="x", base_version=0, edited_by=alice
    )
    assert not save.merged and save.section.version == 1


@pytest.mark.django_db
def test_a_base_version_from_the_future_is_a_conflict(design, alice):
    services.section_update(section=_section(design), body="x", base_version=0, edited_by=alice)
    with pytest.raises(services.SectionConflict):
        services.section_save(section=_section(design), body="y", base_version=5, edited_by=alice)
    assert _section(design).version == 1


@pytest.mark.django_db
def test_a_merged_body_over_the_size_limit_is_refused(design, alice, bob, settings):
    from django.core.exceptions import ValidationError

    settings.CRIT_SECTION_BODY_MAX_BYTES = 40
    services.section_update(section=_section(design), body=BASE, base_version=0, edited_by=alice)
    services.section_update(
        section=_section(design), body="x" * 12 + "\n" + BASE, base_version=1, edited_by=alice
    )
    with pytest.raises(ValidationError):
        services.section_save(
            section=_section(design), body=BASE + "y" * 12 + "\n", base_version=1, edited_by=bob
        )
    assert _section(design).version == 2
