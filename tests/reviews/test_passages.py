"""Comments on a passage: anchored to the section's text and found again after every save."""

import pytest
from django.core.exceptions import ValidationError

from designs import services as design_services
from reviews import services
from reviews.anchoring import Span, locate, merge_replacement
from reviews.models import CommentAnchor
from reviews.services import PassageInput
from tests.reviews.conftest import section_of

pytestmark = pytest.mark.django_db

TEXT = (
    "We shard the users table by tenant id.\n\n"
    "Reads go to the replicas; writes go to the primary.\n\n"
    "Sessions are cached in Redis for five minutes."
)
PASSAGE = "Reads go to the replicas"


def save(section, body, user):
    section.refresh_from_db()
    return design_services.section_update(
        section=section, body=body, base_version=section.version, edited_by=user
    )


def passage(text: str = TEXT, exact: str = PASSAGE) -> PassageInput:
    start = text.index(exact)
    return PassageInput(
        exact=exact,
        prefix=text[max(0, start - 32) : start],
        suffix=text[start + len(exact) : start + len(exact) + 32],
        start=start,
        end=start + len(exact),
    )


@pytest.fixture
def section(reviewed, alice):
    section = section_of(reviewed)
    save(section, TEXT, alice)
    section.refresh_from_db()
    return section


def anchored_comment(section, bob, exact=PASSAGE):
    return services.comment_add(
        section=section, author=bob, body="Which replicas?", passage=passage(exact=exact)
    )


def test_a_comment_on_a_passage_stores_its_quote_context_and_position(section, bob):
    comment = anchored_comment(section, bob)

    anchor = CommentAnchor.objects.get(comment=comment)
    start = TEXT.index(PASSAGE)
    assert (anchor.exact, anchor.quote) == (PASSAGE, PASSAGE)
    assert (anchor.start, anchor.end) == (start, start + len(PASSAGE))
    assert anchor.prefix == TEXT[start - 32 : start]
    assert anchor.suffix.startswith("; writes go")
    assert anchor.status == "anchored"
    assert anchor.section_version == section.version


def test_the_rendered_selection_is_found_in_the_markdown_source(section, bob, alice):
    save(section, TEXT.replace("the replicas", "the **replicas**"), alice)
    section.refresh_from_db()
    # The browser quotes the rendered text, without the Markdown's asterisks.
    comment = services.comment_add(
        section=section, author=bob, body="Which?", passage=passage(exact=PASSAGE)
    )
    anchor = CommentAnchor.objects.get(comment=comment)
    assert anchor.exact == "Reads go to the **replicas**"


def test_a_passage_not_in_the_text_is_refused_and_nothing_is_saved(section, bob):
    with pytest.raises(ValidationError, match="not in the section's current text"):
        services.comment_add(
            section=section,
            author=bob,
            body="Hm",
            passage=PassageInput(exact="Something nobody ever wrote at all", start=3, end=10),
        )
    assert not section.comments.exists()


def test_an_empty_selection_is_refused(section, bob):
    with pytest.raises(ValidationError, match="Select some text"):
        services.comment_add(
            section=section, author=bob, body="Hm", passage=PassageInput(exact="   ")
        )


def test_an_anchored_comment_survives_an_edit_elsewhere_in_the_section(section, bob, alice):
    comment = anchored_comment(section, bob)

    edited = "An introduction, added later.\n\n" + TEXT.replace("five minutes", "an hour")
    saved = save(section, edited, alice)

    anchor = CommentAnchor.objects.get(comment=comment)
    assert anchor.status == "anchored"
    assert anchor.exact == PASSAGE
    assert edited[anchor.start : anchor.end] == PASSAGE
    assert anchor.section_version == saved.version


def test_an_edit_of_the_passage_itself_re_anchors_it_to_the_new_words(section, bob, alice):
    comment = anchored_comment(section, bob)

    edited = TEXT.replace("Reads go to the replicas", "Reads go to the nearest replicas")
    save(section, edited, alice)

    anchor = CommentAnchor.objects.get(comment=comment)
    assert anchor.status == "anchored"
    assert anchor.exact == "Reads go to the nearest replicas"
    assert anchor.quote == PASSAGE  # as first commented on


def test_a_passage_that_is_gone_marks_the_thread_passage_removed_and_keeps_it(section, bob, alice):
    comment = anchored_comment(section, bob)
    version = section.version

    save(section, TEXT.replace(PASSAGE + "; ", ""), alice)

    anchor = CommentAnchor.objects.get(comment=comment)
    assert anchor.status == "removed"
    assert anchor.exact == PASSAGE  # the old quote is shown
    assert anchor.section_version == version  # where it was last found
    assert section.comments.filter(pk=comment.pk).exists()


def test_a_removed_passage_stays_removed_after_more_saves(section, bob, alice):
    comment = anchored_comment(section, bob)
    save(section, "Nothing of the old text.", alice)
    save(section, TEXT, alice)  # even if the words come back: the thread was told
    assert CommentAnchor.objects.get(comment=comment).status == "removed"


def test_a_restore_re_anchors_too(section, bob, alice):
    comment = anchored_comment(section, bob)
    old_version = section.version
    save(section, "Intro.\n\n" + TEXT, alice)
    current = type(section).objects.get(pk=section.pk)
    restored = design_services.section_restore(
        section=current, version=old_version, base_version=current.version, restored_by=alice
    )
    anchor = CommentAnchor.objects.get(comment=comment)
    assert (anchor.start, anchor.status) == (TEXT.index(PASSAGE), "anchored")
    assert anchor.section_version == restored.version


def test_a_save_reads_the_anchors_once_whatever_their_number(
    section, bob, alice, django_assert_max_num_queries
):
    for exact in ("Reads go to the replicas", "writes go to the primary", "five minutes"):
        anchored_comment(section, bob, exact=exact)
    section.refresh_from_db()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        design_services.section_update(
            section=section,
            body="Intro.\n\n" + TEXT,
            base_version=section.version,
            edited_by=alice,
        )
    anchor_queries = [q for q in queries if "reviews_commentanchor" in q["sql"]]
    assert len(anchor_queries) == 2  # one read, one bulk update
    assert CommentAnchor.objects.filter(status="anchored").count() == 3


# The matching itself ------------------------------------------------------------------------


def test_locate_prefers_the_occurrence_whose_context_agrees():
    text = "cache the keys. Later: cache the keys again."
    second = text.rindex("cache the keys")
    span = locate(text, exact="cache the keys", prefix="Later: ", suffix=" again", hint=0)
    assert span == Span(second, second + len("cache the keys"))


def test_locate_gives_up_on_unrelated_text():
    assert locate("Something else entirely.", exact=PASSAGE, hint=5) is None


def test_merge_refuses_an_edit_inside_the_passage_and_merges_one_outside():
    start = TEXT.index(PASSAGE)
    span = Span(start, start + len(PASSAGE))
    outside = TEXT.replace("five minutes", "an hour")
    merged = merge_replacement(
        base=TEXT, span=span, replacement="Reads go anywhere", current=outside
    )
    assert merged is not None
    assert "Reads go anywhere; writes" in merged.text and "an hour" in merged.text
    inside = TEXT.replace("the replicas", "all replicas")
    assert merge_replacement(base=TEXT, span=span, replacement="x", current=inside) is None
