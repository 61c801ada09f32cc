"""The diff of two versions stays bounded: past its limits it falls back to whole lines,
or cuts the diff, and the page says so. Normal diffs keep their word marks."""

import pytest
from django.urls import reverse

from designs import diff, services
from designs.selectors import text_diff

KEY = "who-is-your-customer"


def _save(design, body, user):
    section = design.sections.get(key=KEY)
    services.section_update(
        section=section, body=body, base_version=section.version, edited_by=user
    )


def _diff_page(client, design):
    url = reverse("designs:section_diff", args=[design.pk, KEY])
    return client.get(url, {"from": 1, "to": 2})


def test_long_scattered_changes_are_still_marked_word_by_word():
    old = " ".join(f"word{i}" for i in range(5_000))
    new = old.replace("word100 ", "changed ").replace("word4000 ", "other ")
    lines = text_diff(old, new)
    assert not lines.whole_lines
    assert "<del>word100</del>" in lines[0].html
    assert "<ins>other</ins>" in lines[1].html


def test_changed_lines_past_the_word_limit_are_shown_whole(monkeypatch):
    monkeypatch.setattr(diff, "WORD_MARK_LIMIT", 12)
    lines = text_diff("a b c\nthe quick brown fox jumps", "a b d\nthe slow brown fox jumps")
    assert lines.whole_lines
    # The first pair (5 words and spaces a side) fits in the limit, the second not.
    assert [(line.kind, str(line.html)) for line in lines] == [
        ("delete", "a b <del>c</del>"),
        ("insert", "a b <ins>d</ins>"),
        ("delete", "the quick brown fox jumps"),
        ("insert", "the slow brown fox jumps"),
    ]


def test_a_diff_out_of_time_shows_changed_lines_whole(monkeypatch):
    monkeypatch.setattr(diff, "BUDGET_SECONDS", -1.0)  # the budget is spent before it starts
    lines = text_diff("the quick fox", "the slow fox")
    assert lines.whole_lines
    assert [str(line.html) for line in lines] == ["the quick fox", "the slow fox"]


def test_whole_lines_are_escaped(monkeypatch):
    monkeypatch.setattr(diff, "WORD_MARK_LIMIT", 0)
    lines = text_diff("<b>x</b>", "<i>x</i>")
    assert [str(line.html) for line in lines] == ["&lt;b&gt;x&lt;/b&gt;", "&lt;i&gt;x&lt;/i&gt;"]


def test_a_diff_longer_than_the_row_limit_is_cut(monkeypatch):
    monkeypatch.setattr(diff, "ROW_LIMIT", 3)
    lines = text_diff("a\nb", "a\nb\nc\nd\ne")
    assert lines.cut
    assert [(line.kind, str(line.html)) for line in lines] == [
        ("equal", "a"),
        ("equal", "b"),
        ("insert", "c"),
    ]
    assert not text_diff("a\nb", "a\nb\nc").cut


@pytest.mark.django_db
def test_diff_page_says_when_lines_are_too_large_to_diff_word_by_word(
    client, design, alice, monkeypatch
):
    _save(design, "the quick brown fox", alice)
    _save(design, "the slow brown fox", alice)
    monkeypatch.setattr(diff, "WORD_MARK_LIMIT", 4)
    client.force_login(alice)
    response = _diff_page(client, design)
    assert response.status_code == 200
    assert b"too large to diff word by word" in response.content
    assert b"<del>" not in response.content
    assert b"the quick brown fox" in response.content


@pytest.mark.django_db
def test_diff_page_keeps_word_marks_and_no_notice_for_a_normal_diff(client, design, alice):
    _save(design, "intro\nthe quick brown fox", alice)
    _save(design, "intro\nthe slow brown fox", alice)
    client.force_login(alice)
    content = _diff_page(client, design).content
    assert b"too large to diff word by word" not in content
    assert b"too long to show whole" not in content
    assert b'<div class="diff-line diff-equal" role="row">' in content
    assert b"the <del>quick</del> brown fox" in content
    assert b"the <ins>slow</ins> brown fox" in content


@pytest.mark.django_db
def test_diff_page_says_when_the_diff_is_cut(client, design, alice, monkeypatch):
    _save(design, "a", alice)
    _save(design, "a\nb\nc\nd", alice)
    monkeypatch.setattr(diff, "ROW_LIMIT", 2)
    client.force_login(alice)
    content = _diff_page(client, design).content
    assert b"only its first 2 lines are shown" in content
    assert b">d</span>" not in content
