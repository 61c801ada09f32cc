"""Suggested edits: made by a reviewer, applied by the team as a revision crediting them
(merged when the section changed elsewhere, refused when the passage changed), dismissed
with a reply."""

import pytest
from django.core.exceptions import ValidationError

from designs import services as design_services
from designs.models import Revision, Section
from reviews import services
from reviews.models import Comment, CommentAnchor, Suggestion
from reviews.services import PassageInput
from reviews.signals import suggestion_applied, suggestion_dismissed
from tests.factories import UserFactory
from tests.reviews.conftest import section_of

pytestmark = pytest.mark.django_db

TEXT = "Reads go to the replicas; writes go to the primary.\n\nSessions live in Redis."
PASSAGE = "Reads go to the replicas"


def save(section, body, user):
    section.refresh_from_db()
    return design_services.section_update(
        section=section, body=body, base_version=section.version, edited_by=user
    )


@pytest.fixture
def section(reviewed, alice):
    section = section_of(reviewed)
    save(section, TEXT, alice)
    section.refresh_from_db()
    return section


def suggest(section, bob, replacement="Reads go to the nearest replica", exact=PASSAGE):
    start = TEXT.index(exact)
    comment = services.comment_add(
        section=section,
        author=bob,
        body="Latency.",
        passage=PassageInput(exact=exact, start=start, end=start + len(exact)),
        replacement=replacement,
    )
    return Suggestion.objects.select_related("design").get(pk=comment.pk)


def body_of(section) -> str:
    return Section.objects.values_list("body", flat=True).get(pk=section.pk)


def test_a_reviewer_suggests_a_replacement_for_a_passage(section, bob):
    suggestion = suggest(section, bob)
    assert suggestion.status == "open"
    assert suggestion.original == PASSAGE
    assert suggestion.base_version == section.version
    assert not suggestion.whole_section
    assert suggestion.suggested_body.startswith("Reads go to the nearest replica; writes")


def test_a_suggestion_for_the_whole_section(section, bob):
    comment = services.comment_add(
        section=section, author=bob, body="", replacement="A new text altogether."
    )
    suggestion = Suggestion.objects.get(pk=comment.pk)
    assert suggestion.whole_section and suggestion.original == TEXT
    assert suggestion.suggested_body == "A new text altogether."


def test_a_suggestion_that_changes_nothing_is_refused(section, bob):
    with pytest.raises(ValidationError, match="changes nothing"):
        suggest(section, bob, replacement=PASSAGE)
    assert not Comment.objects.exists()


def test_applying_makes_a_revision_crediting_the_reviewer(section, alice, bob):
    suggestion = suggest(section, bob)
    applied = []
    suggestion_applied.connect(lambda **kw: applied.append(kw), weak=False, dispatch_uid="t1")
    try:
        saved = services.suggestion_apply(suggestion=suggestion, applied_by=alice)
    finally:
        suggestion_applied.disconnect(dispatch_uid="t1")

    assert body_of(section).startswith("Reads go to the nearest replica; writes")
    revision = Revision.objects.get(section=section, version=saved.version)
    assert revision.author == alice
    assert list(revision.co_authors.all()) == [bob]
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.decided_by, suggestion.applied_version) == (
        "applied",
        alice,
        saved.version,
    )
    anchor = CommentAnchor.objects.get(pk=suggestion.pk)
    assert (anchor.status, anchor.exact) == ("anchored", "Reads go to the nearest replica")
    assert applied and applied[0]["actor"] == alice and applied[0]["section"].pk == section.pk


def test_applying_merges_when_the_section_changed_elsewhere(section, alice, bob):
    suggestion = suggest(section, bob)
    save(section, TEXT.replace("Redis", "Valkey"), alice)

    services.suggestion_apply(suggestion=suggestion, applied_by=alice)

    assert body_of(section) == (
        "Reads go to the nearest replica; writes go to the primary.\n\nSessions live in Valkey."
    )


def test_applying_after_the_passage_changed_says_so_and_changes_nothing(section, alice, bob):
    suggestion = suggest(section, bob)
    changed = TEXT.replace("the replicas", "any replica")
    saved = save(section, changed, alice)

    with pytest.raises(services.SuggestionConflict, match="passage changed"):
        services.suggestion_apply(suggestion=suggestion, applied_by=alice)

    assert body_of(section) == changed
    assert Section.objects.get(pk=section.pk).version == saved.version
    assert Suggestion.objects.get(pk=suggestion.pk).status == "open"


def test_a_whole_section_suggestion_does_not_merge_over_later_edits(section, alice, bob):
    comment = services.comment_add(section=section, author=bob, body="", replacement="New.")
    save(section, TEXT + "\n\nMore.", alice)
    with pytest.raises(services.SuggestionConflict):
        services.suggestion_apply(
            suggestion=Suggestion.objects.get(pk=comment.pk), applied_by=alice
        )


def test_only_the_team_applies_or_dismisses(section, bob):
    suggestion = suggest(section, bob)
    with pytest.raises(PermissionError):
        services.suggestion_apply(suggestion=suggestion, applied_by=bob)
    with pytest.raises(PermissionError):
        services.suggestion_dismiss(suggestion=suggestion, dismissed_by=bob, reply="No.")
    with pytest.raises(PermissionError):
        services.suggestion_apply(suggestion=suggestion, applied_by=UserFactory())


def test_a_suggestion_is_applied_once(section, alice, bob):
    suggestion = suggest(section, bob)
    services.suggestion_apply(suggestion=suggestion, applied_by=alice)
    version = Section.objects.get(pk=section.pk).version
    with pytest.raises(ValidationError, match="already applied"):
        services.suggestion_apply(suggestion=suggestion, applied_by=alice)
    assert Section.objects.get(pk=section.pk).version == version


def test_dismissing_replies_in_the_thread_and_leaves_the_text(section, alice, bob):
    suggestion = suggest(section, bob)
    dismissed = []
    suggestion_dismissed.connect(lambda **kw: dismissed.append(kw), weak=False, dispatch_uid="t2")
    try:
        reply = services.suggestion_dismiss(
            suggestion=suggestion, dismissed_by=alice, reply="We keep all replicas."
        )
    finally:
        suggestion_dismissed.disconnect(dispatch_uid="t2")

    assert reply.parent_id == suggestion.pk and reply.author == alice
    assert body_of(section) == TEXT
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.decided_by) == ("dismissed", alice)
    assert dismissed and dismissed[0]["actor"] == alice
    with pytest.raises(ValidationError, match="already dismissed"):
        services.suggestion_apply(suggestion=suggestion, applied_by=alice)


def test_dismissing_needs_a_reply(section, alice, bob):
    suggestion = suggest(section, bob)
    with pytest.raises(ValidationError, match="Say why"):
        services.suggestion_dismiss(suggestion=suggestion, dismissed_by=alice, reply="  ")
    assert Suggestion.objects.get(pk=suggestion.pk).status == "open"


# The pages --------------------------------------------------------------------------------


def htmx_post(client, url, data=None):
    return client.post(url, data or {}, HTTP_HX_REQUEST="true")


def test_the_thread_shows_the_passage_and_the_suggestion_as_a_diff(client, section, alice, bob):
    suggestion = suggest(section, bob)
    client.force_login(alice)
    page = client.get(section.design.get_absolute_url()).content.decode()
    assert 'data-passage-exact="Reads go to the replicas"' in page
    assert "<del>replicas</del><ins>nearest replica</ins>" in page
    assert f"/comments/{suggestion.pk}/suggestion/apply/" in page


def test_a_reviewer_sees_no_apply_button(client, section, bob):
    suggestion = suggest(section, bob)
    client.force_login(bob)
    page = client.get(section.design.get_absolute_url()).content.decode()
    assert "Suggested edit" in page
    assert f"/comments/{suggestion.pk}/suggestion/apply/" not in page


def test_the_comment_form_suggests_an_edit_of_a_passage(client, section, bob):
    client.force_login(bob)
    url = f"/reviews/designs/{section.design_id}/sections/{section.key}/comments/"
    response = htmx_post(
        client,
        url,
        {
            "body": "",
            "passage_exact": PASSAGE,
            "passage_start": "0",
            "passage_end": str(len(PASSAGE)),
            "suggest": "1",
            "replacement": "Reads go anywhere",
        },
    )
    assert response.status_code == 200
    suggestion = Suggestion.objects.get()
    assert (suggestion.original, suggestion.replacement) == (PASSAGE, "Reads go anywhere")
    assert "Suggested edit" in response.content.decode()


def test_applying_from_the_page_shows_it_applied(client, section, alice, bob):
    suggestion = suggest(section, bob)
    client.force_login(alice)
    response = htmx_post(client, f"/reviews/comments/{suggestion.pk}/suggestion/apply/")
    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"
    page = client.get(section.design.get_absolute_url()).content.decode()
    assert "suggested by bob, applied by alice" in page


def test_a_conflict_on_apply_is_a_clear_400_and_changes_nothing(client, section, alice, bob):
    suggestion = suggest(section, bob)
    save(section, TEXT.replace("the replicas", "any replica"), alice)
    client.force_login(alice)
    response = htmx_post(client, f"/reviews/comments/{suggestion.pk}/suggestion/apply/")
    assert response.status_code == 400
    assert "the edits overlap: nothing was applied" in response.content.decode()
    assert Suggestion.objects.get(pk=suggestion.pk).status == "open"


def test_dismissing_from_the_page_needs_a_reply(client, section, alice, bob):
    suggestion = suggest(section, bob)
    client.force_login(alice)
    url = f"/reviews/comments/{suggestion.pk}/suggestion/dismiss/"
    assert htmx_post(client, url, {"body": ""}).status_code == 400
    response = htmx_post(client, url, {"body": "Not now."})
    assert response.status_code == 200
    assert Suggestion.objects.get(pk=suggestion.pk).status == "dismissed"


def test_the_section_history_credits_the_reviewer_of_an_applied_suggestion(
    client, section, alice, bob
):
    services.suggestion_apply(suggestion=suggest(section, bob), applied_by=alice)
    client.force_login(alice)
    page = client.get(f"/designs/{section.design_id}/sections/{section.key}/history/")
    assert page.status_code == 200
    assert 'alice\n                  <span class="muted">with bob</span>' in page.content.decode()


def test_quotes_and_suggestions_are_shown_as_text_never_as_html(client, reviewed, alice, bob):
    section = section_of(reviewed)
    save(section, "Keep <b>this</b> and `<img src=x onerror=alert(1)>` apart.", alice)
    section.refresh_from_db()
    services.comment_add(
        section=section,
        author=bob,
        body="Hm",
        passage=PassageInput(exact="<img src=x onerror=alert(1)>"),
        replacement='<script>alert("x")</script>',
    )
    client.force_login(alice)
    page = client.get(section.design.get_absolute_url()).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x onerror" not in page
    assert '<script>alert("x")' not in page
