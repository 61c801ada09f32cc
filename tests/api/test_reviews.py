import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from designs.models import DesignReader
from reviews.models import Comment, ReviewRequest, Verdict
from tests.factories import add_comment, request_review

KEY = "who-is-your-customer"


def comments_url(design, key=KEY) -> str:
    return f"/api/v1/designs/{design.pk}/sections/{key}/comments"


@pytest.fixture
def requested(design, alice, bob):
    """bob, outside the team, was asked to review ``design``."""
    request_review(design=design, reviewer=bob, requested_by=alice)
    return bob


@pytest.fixture
def section(design):
    return design.sections.get(key=KEY)


# Review requests -----------------------------------------------------------------------


@pytest.mark.django_db
def test_member_requests_a_review_and_the_reviewer_can_read(member_client, api_for, design, bob):
    response = member_client.post_json(
        f"/api/v1/designs/{design.pk}/reviewers", {"username": "bob", "message": "Scaling?"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["reviewer"] == {"id": bob.pk, "username": "bob"}
    assert body["requested_by"] == "member"
    assert body["message"] == "Scaling?"
    assert body["design_status"] == "in_review"
    assert DesignReader.objects.filter(design=design, user=bob).exists()
    seen = api_for(bob).get(f"/api/v1/designs/{design.pk}").json()
    assert seen["can_edit"] is False


@pytest.mark.django_db
def test_reviewer_may_not_request_reviews_403(api_for, requested, design, outsider):
    response = api_for(requested).post_json(
        f"/api/v1/designs/{design.pk}/reviewers", {"username": outsider.username}
    )
    assert response.status_code == 403
    assert "members" in response.json()["detail"]
    assert not ReviewRequest.objects.filter(reviewer=outsider).exists()


@pytest.mark.django_db
def test_outsider_requesting_a_review_gets_404(api_for, outsider, design, bob):
    response = api_for(outsider).post_json(
        f"/api/v1/designs/{design.pk}/reviewers", {"username": "bob"}
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_other_team_requesting_a_review_gets_404(api_for, other_team_user, design, bob):
    response = api_for(other_team_user).post_json(
        f"/api/v1/designs/{design.pk}/reviewers", {"username": "bob"}
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_requesting_an_unknown_reviewer_is_422_on_username(owner_client, design):
    response = owner_client.post_json(
        f"/api/v1/designs/{design.pk}/reviewers", {"username": "ghost"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "username"]


@pytest.mark.django_db
def test_requesting_oneself_is_422_on_username(owner_client, design):
    response = owner_client.post_json(
        f"/api/v1/designs/{design.pk}/reviewers", {"username": "alice"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "username"]


@pytest.mark.django_db
@pytest.mark.parametrize("message", ["Look at scaling. ", "Line one\r\nline two"])
def test_a_message_that_would_be_altered_is_refused(owner_client, design, bob, message):
    response = owner_client.post_json(
        f"/api/v1/designs/{design.pk}/reviewers", {"username": "bob", "message": message}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "message"]
    assert not ReviewRequest.objects.exists()


# Comments ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reviewer_comments_on_a_section(api_for, requested, design, section):
    text = "Who pays?  Ünïcødé ✓ — `code`\n\n- a list"
    response = api_for(requested).post_json(comments_url(design), {"body": text})
    assert response.status_code == 201
    body = response.json()
    assert body["body"] == text
    assert body["author"] == "bob"
    assert body["issue_status"] is None
    assert body["section_version"] == 0
    assert "<li>a list</li>" in body["html"]
    assert Comment.objects.get(pk=body["id"]).body == text


@pytest.mark.django_db
def test_member_raises_an_issue(member_client, design):
    response = member_client.post_json(
        comments_url(design), {"body": "Missing SLO.", "is_issue": True}
    )
    assert response.status_code == 201
    assert response.json()["issue_status"] == "open"


@pytest.mark.django_db
def test_outsider_commenting_gets_404(api_for, outsider, design):
    response = api_for(outsider).post_json(comments_url(design), {"body": "hi"})
    assert response.status_code == 404
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_other_team_commenting_gets_404(api_for, other_team_user, design):
    response = api_for(other_team_user).post_json(comments_url(design), {"body": "hi"})
    assert response.status_code == 404


@pytest.mark.django_db
def test_replying_to_a_thread(api_for, requested, owner_client, design, section, alice):
    thread = add_comment(section=section, author=requested)
    response = owner_client.post_json(
        comments_url(design), {"body": "Good point.", "parent_id": thread.pk}
    )
    assert response.status_code == 201
    assert response.json()["parent_id"] == thread.pk


@pytest.mark.django_db
def test_replying_to_a_reply_is_422_on_parent_id(owner_client, design, section, alice):
    thread = add_comment(section=section, author=alice)
    reply = Comment.objects.create(
        design=design,
        section=section,
        parent=thread,
        author=alice,
        body="r",
        section_version=0,
    )
    response = owner_client.post_json(comments_url(design), {"body": "x", "parent_id": reply.pk})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "parent_id"]


@pytest.mark.django_db
def test_a_reply_cannot_be_an_issue(owner_client, design, section, alice):
    thread = add_comment(section=section, author=alice)
    response = owner_client.post_json(
        comments_url(design), {"body": "x", "parent_id": thread.pk, "is_issue": True}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "is_issue"]


@pytest.mark.django_db
def test_replying_to_a_comment_on_another_section_is_422(owner_client, design, alice):
    elsewhere = add_comment(section=design.sections.get(position=2), author=alice)
    response = owner_client.post_json(
        comments_url(design), {"body": "x", "parent_id": elsewhere.pk}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "parent_id"]


@pytest.mark.django_db
def test_replying_to_a_hidden_comment_is_422(api_for, owner_client, design, other_team_user):
    from tests.factories import make_design

    theirs = make_design(author=other_team_user, team=other_team_user.teams.get())
    hidden = add_comment(section=theirs.sections.first(), author=other_team_user)
    response = owner_client.post_json(comments_url(design), {"body": "x", "parent_id": hidden.pk})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "parent_id"]


@pytest.mark.django_db
def test_a_comment_over_50_kb_is_413(owner_client, design):
    response = owner_client.post_json(comments_url(design), {"body": "x" * 50_001})
    assert response.status_code == 413
    assert response.json()["field"] == "body"
    assert response.json()["limit"] == 50_000
    assert not Comment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text", ["", "trailing space ", "\tleading tab", "a\r\nb", "bell\x07", "nul\x00"]
)
def test_comment_text_that_would_be_altered_or_cannot_be_stored_is_422(owner_client, design, text):
    response = owner_client.post_json(comments_url(design), {"body": text})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "body"]
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_threads_list_with_replies(api_for, requested, design, section, alice, member_client):
    thread = add_comment(section=section, author=requested, body="Question?")
    add_comment(section=section, author=alice, body="Issue!", raise_issue=True)
    from reviews import services as review_services

    review_services.comment_reply(parent=thread, author=alice, body="Answer.")
    body = member_client.get(comments_url(design)).json()
    assert body["count"] == 2
    first, second = body["items"]
    assert (first["body"], [r["body"] for r in first["replies"]]) == ("Question?", ["Answer."])
    assert (second["issue_status"], second["replies"]) == ("open", [])


@pytest.mark.django_db
def test_reviewer_reads_threads(api_for, requested, design, section):
    add_comment(section=section, author=requested)
    assert api_for(requested).get(comments_url(design)).json()["count"] == 1


@pytest.mark.django_db
def test_outsider_reading_threads_gets_404(api_for, outsider, design):
    assert api_for(outsider).get(comments_url(design)).status_code == 404


@pytest.mark.django_db
def test_other_team_reading_threads_gets_404(api_for, other_team_user, design):
    assert api_for(other_team_user).get(comments_url(design)).status_code == 404


@pytest.mark.django_db
def test_threads_query_count_does_not_grow_with_page_size(owner_client, design, section, alice):
    for i in range(15):
        thread = add_comment(section=section, author=alice, body=f"t{i}", raise_issue=i % 2 == 0)
        from reviews import services as review_services

        review_services.comment_reply(parent=thread, author=alice, body="r")
    owner_client.get(comments_url(design))
    counts = []
    for size in (1, 15):
        with CaptureQueriesContext(connection) as queries:
            response = owner_client.get(comments_url(design) + f"?page_size={size}")
        assert len(response.json()["items"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 6


# Editing comments and moving issues ----------------------------------------------------


@pytest.mark.django_db
def test_author_edits_their_comment(api_for, requested, section):
    comment = add_comment(section=section, author=requested, body="Typo hree.")
    response = api_for(requested).patch_json(f"/api/v1/comments/{comment.pk}", {"body": "Here."})
    assert response.status_code == 200
    assert response.json()["body"] == "Here."
    assert response.json()["edited_at"] is not None


@pytest.mark.django_db
def test_editing_someone_elses_comment_is_403(owner_client, requested, section):
    comment = add_comment(section=section, author=requested, body="Mine.")
    response = owner_client.patch_json(f"/api/v1/comments/{comment.pk}", {"body": "Yours."})
    assert response.status_code == 403
    assert "author" in response.json()["detail"]
    assert Comment.objects.get(pk=comment.pk).body == "Mine."


@pytest.mark.django_db
def test_outsider_editing_a_comment_gets_404(api_for, outsider, section, alice):
    comment = add_comment(section=section, author=alice)
    response = api_for(outsider).patch_json(f"/api/v1/comments/{comment.pk}", {"body": "x"})
    assert response.status_code == 404


@pytest.mark.django_db
def test_other_team_moving_an_issue_gets_404(api_for, other_team_user, section, alice):
    issue = add_comment(section=section, author=alice, raise_issue=True)
    response = api_for(other_team_user).patch_json(
        f"/api/v1/comments/{issue.pk}", {"issue_status": "fixed"}
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_member_marks_an_issue_fixed(member_client, requested, section):
    issue = add_comment(section=section, author=requested, raise_issue=True)
    response = member_client.patch_json(f"/api/v1/comments/{issue.pk}", {"issue_status": "fixed"})
    assert response.status_code == 200
    assert response.json()["issue_status"] == "fixed"


@pytest.mark.django_db
def test_reviewer_may_not_mark_an_issue_fixed_403(api_for, requested, section):
    issue = add_comment(section=section, author=requested, raise_issue=True)
    response = api_for(requested).patch_json(
        f"/api/v1/comments/{issue.pk}", {"issue_status": "fixed"}
    )
    assert response.status_code == 403
    assert "authors" in response.json()["detail"]
    assert Comment.objects.get(pk=issue.pk).issue_status == "open"


@pytest.mark.django_db
def test_reviewer_drops_their_own_issue(api_for, requested, section):
    issue = add_comment(section=section, author=requested, raise_issue=True)
    response = api_for(requested).patch_json(
        f"/api/v1/comments/{issue.pk}", {"issue_status": "dropped"}
    )
    assert response.status_code == 200
    assert response.json()["issue_status"] == "dropped"


@pytest.mark.django_db
def test_an_impossible_issue_move_is_422_on_issue_status(owner_client, section, alice):
    issue = add_comment(section=section, author=alice, raise_issue=True)
    owner_client.patch_json(f"/api/v1/comments/{issue.pk}", {"issue_status": "fixed"})
    response = owner_client.patch_json(f"/api/v1/comments/{issue.pk}", {"issue_status": "dropped"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "issue_status"]


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [{}, {"body": "x", "issue_status": "fixed"}])
def test_comment_patch_needs_exactly_one_change(owner_client, section, alice, payload):
    issue = add_comment(section=section, author=alice, raise_issue=True)
    response = owner_client.patch_json(f"/api/v1/comments/{issue.pk}", payload)
    assert response.status_code == 422
    assert Comment.objects.get(pk=issue.pk).issue_status == "open"


# Verdicts ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_requested_reviewer_approves(api_for, requested, design):
    response = api_for(requested).post_json(
        f"/api/v1/designs/{design.pk}/reviews", {"verdict": "approve", "summary": "Ship it."}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["verdict"], body["reviewer"], body["summary"]) == ("approve", "bob", "Ship it.")
    assert body["design_status"] == "approved"


@pytest.mark.django_db
def test_requested_reviewer_requests_changes(api_for, requested, design):
    response = api_for(requested).post_json(
        f"/api/v1/designs/{design.pk}/reviews", {"verdict": "request_changes"}
    )
    assert response.status_code == 201
    assert response.json()["design_status"] == "changes_requested"


@pytest.mark.django_db
def test_member_who_was_not_asked_cannot_give_a_verdict_403(member_client, design, requested):
    response = member_client.post_json(
        f"/api/v1/designs/{design.pk}/reviews", {"verdict": "approve"}
    )
    assert response.status_code == 403
    assert "requested reviewers" in response.json()["detail"]
    assert not Verdict.objects.exists()


@pytest.mark.django_db
def test_outsider_giving_a_verdict_gets_404(api_for, outsider, design):
    response = api_for(outsider).post_json(
        f"/api/v1/designs/{design.pk}/reviews", {"verdict": "approve"}
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_other_team_giving_a_verdict_gets_404(api_for, other_team_user, design):
    response = api_for(other_team_user).post_json(
        f"/api/v1/designs/{design.pk}/reviews", {"verdict": "approve"}
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_an_unknown_verdict_is_422_on_verdict(api_for, requested, design):
    response = api_for(requested).post_json(
        f"/api/v1/designs/{design.pk}/reviews", {"verdict": "lgtm"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "verdict"]


@pytest.mark.django_db
def test_a_verdict_summary_over_50_kb_is_413(api_for, requested, design):
    response = api_for(requested).post_json(
        f"/api/v1/designs/{design.pk}/reviews", {"verdict": "comment", "summary": "s" * 50_001}
    )
    assert response.status_code == 413
    assert response.json()["field"] == "summary"
    assert not Verdict.objects.exists()
