"""Markdown import: reading, matching, bad input, and the export -> import round trip."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from designs import importing, services
from designs.models import Design, Section
from exports.renderers import markdown as markdown_renderer
from exports.selectors import export_source
from tests.factories import TeamFactory, default_template, make_design, make_template

pytestmark = pytest.mark.django_db

DOC = """Intro words for the summary.

## Who is your customer

Platform teams.

## Problem we solve

Links are long.

### A detail

Kept inside the section.

## Rollout plan

Canary first.
"""


@pytest.fixture
def team():
    return TeamFactory(name="Platform")


def test_text_before_the_first_heading_is_the_summary_and_a_lone_h1_the_title():
    document = importing.split_markdown("# Shortener\n\nWhy.\n\n## One\n\nBody one.\n")
    assert document.title == "Shortener"
    assert document.summary == "Why."
    assert [(p.heading, p.body) for p in document.parts] == [("One", "Body one.")]

    untitled = importing.split_markdown("Before.\n\n## A\nx\n## B\ny\n")
    assert untitled.title == ""
    assert untitled.summary == "Before."


def test_headings_inside_fenced_code_do_not_split_sections():
    document = importing.split_markdown("## A\n\n```\n## not a heading\n```\n\n## B\nb\n")
    assert [p.heading for p in document.parts] == ["A", "B"]
    assert "## not a heading" in document.parts[0].body


def test_headings_match_exactly_then_by_a_close_title_and_the_rest_is_unmatched():
    plan = importing.import_plan(text=DOC, template=default_template())
    got = {m.part.heading: (m.key, m.how) for m in plan.matches}
    assert got["Who is your customer"] == ("who-is-your-customer", "exact")
    assert got["Problem we solve"] == (importing.OWN_SECTION, "")
    assert got["Rollout plan"] == (importing.OWN_SECTION, "")
    close = importing.import_plan(
        text="## How to store data\nPostgres.\n## Who is our customer?\nUs.\n",
        template=default_template(),
    )
    assert [(m.key, m.how) for m in close.matches] == [
        ("how-to-store-the-data", "close"),
        ("who-is-your-customer", "close"),
    ]


def test_import_puts_parts_where_assigned_and_unmatched_ones_in_sections_of_their_own(team):
    author = team.created_by
    design = importing.design_import(
        team=team,
        template=default_template(),
        text=DOC,
        title="Shortener",
        assignments={1: "what-is-the-problem-this-solutions-is-trying-to-solve"},
        created_by=author,
    )

    sections = {s.key: s for s in design.sections.all()}
    assert design.summary == "Intro words for the summary."
    assert sections["who-is-your-customer"].body == "Platform teams."
    problem = sections["what-is-the-problem-this-solutions-is-trying-to-solve"]
    assert problem.body == "Links are long.\n\n### A detail\n\nKept inside the section."
    assert problem.state == Section.State.DRAFT
    own = sections["rollout-plan"]
    assert (own.title, own.body, own.position) == ("Rollout plan", "Canary first.", 18)
    assert design.section_count == 18 == len(sections)


def test_an_unknown_section_in_the_assignments_creates_nothing(team):
    with pytest.raises(ValidationError):
        importing.design_import(
            team=team,
            template=default_template(),
            text=DOC,
            title="X",
            assignments={0: "no-such-section"},
            created_by=team.created_by,
        )
    assert not Design.objects.filter(team=team).exists()


def test_a_section_over_the_size_limit_leaves_no_half_made_design(team, settings):
    settings.CRIT_SECTION_BODY_MAX_BYTES = 10
    with pytest.raises(ValidationError, match=r"Rollout plan|Who is your customer"):
        importing.design_import(
            team=team, template=default_template(), text=DOC, title="X", created_by=team.created_by
        )
    assert not Design.objects.filter(team=team).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe# A\n", "not UTF-8"),
        (b"## A\n\x00\x01\x02", "binary"),
        (b"no heading at all\n", "no headings"),
        (b"# Only a title\n\ntext\n", "no other headings"),
        (b"   \n", "empty"),
    ],
    ids=["not-utf8", "binary", "no-headings", "title-only", "empty"],
)
def test_bad_files_are_refused_with_a_clear_message(data, message):
    with pytest.raises(ValidationError, match=message):
        importing.import_plan(text=importing.decode_upload(data), template=default_template())


def test_a_file_over_the_limit_is_refused_as_too_large(settings):
    settings.CRIT_IMPORT_MAX_BYTES = 100
    with pytest.raises(importing.ImportTooLarge, match="limit is 100"):
        importing.decode_upload(b"## A\n" + b"x" * 200)
    with pytest.raises(importing.ImportTooLarge):
        importing.check_text("## A\n" + "é" * 60)


def test_a_title_is_needed_from_the_document_or_the_form(team):
    with pytest.raises(ValidationError, match="title"):
        importing.design_import(
            team=team, template=default_template(), text="## A\nx\n", created_by=team.created_by
        )


# The round trip ---------------------------------------------------------------------------

_LINE = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
_TEXT = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters="".join(chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32), 127]),
)
titles = st.text(_LINE, min_size=1, max_size=40).map(str.strip).filter(bool)
summaries = st.text(_TEXT, max_size=200).map(str.strip)
reasons = st.text(_TEXT, min_size=1, max_size=80).filter(lambda r: r.strip())
bodies = st.text(_TEXT, max_size=300) | st.sampled_from(
    ["## A heading inside\n\ntext", "```\n# code\n```\n", "<!-- comment -->", "x\n\n", "  "]
)
section_states = st.one_of(
    st.tuples(st.just("keep"), bodies, st.sampled_from(["draft", "answered"]), st.just("")),
    st.tuples(st.just("na"), bodies, st.just("not_applicable"), reasons),
    st.tuples(st.just("none"), st.just(""), st.just("empty"), st.just("")),
)


def _fill(design: Design, choices) -> None:
    for section, (_, body, state, reason) in zip(design.sections.all(), choices, strict=False):
        if state == "empty":
            continue
        if state == "answered" and not body.strip():
            state = "draft"
        services.section_update(
            section=section,
            body=body,
            state=state,
            na_reason=reason,
            base_version=0,
            edited_by=design.created_by,
        )


def _shape(design: Design):
    sections = design.sections.order_by("position")
    return (
        design.title,
        design.summary,
        [(s.key, s.title, s.body, s.state, s.na_reason) for s in sections],
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    title=titles,
    summary=summaries,
    choices=st.lists(section_states, min_size=1, max_size=5),
)
def test_export_then_import_gives_the_same_design_byte_for_byte(title, summary, choices):
    with transaction.atomic():
        template = make_template(section_count=5)
        team = TeamFactory()
        design = make_design(team=team, title=title, summary=summary, template=template)
        _fill(design, choices)
        design.refresh_from_db()
        text = markdown_renderer.render(export_source(design=design))

        back = importing.design_import(
            team=team, template=template, text=text, created_by=team.created_by
        )

        assert _shape(back) == _shape(design)
        assert back.covered_count == design.covered_count
        transaction.set_rollback(True)


def test_round_trip_with_the_review_appendix_and_the_builtin_template(team):
    design = make_design(team=team, title="Shortener  v2", summary="Line one\n\n## Not a heading")
    section = design.sections.get(position=3)
    services.section_update(
        section=section,
        body="",
        state="not_applicable",
        na_reason="Not for us --> ever\nreally",
        base_version=0,
        edited_by=team.created_by,
    )
    text = markdown_renderer.render(export_source(design=design, include_review=True))

    back = importing.design_import(
        team=team, template=default_template(), text=text, created_by=team.created_by
    )

    assert _shape(back) == _shape(design)
