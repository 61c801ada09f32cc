import pytest
from django.urls import reverse

from designs.models import Design
from reviews import services
from reviews.models import Comment, Notification, ReviewRequest, Verdict
from tests.factories import add_comment, request_review
from tests.reviews.conftest import section_of

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def thread(reviewed, bob):
    return add_comment(section=section_of(reviewed), author=bob, body="A question")


@pytest.fixture
def issue(reviewed, bob):
    return add_comment(section=section_of(reviewed, 2), author=bob, body="Bug", raise_issue=True)


def comment_url(name, comment):
    return reverse(f"reviews:{name}", args=[comment.pk])


def add_url(design, position=1):
    return reverse("reviews:comment_add", args=[design.pk, section_of(design, position).key])


# The design page ---------------------------------------------------------------------------


def test_design_page_shows_threads_counts_reviewers_and_issue_summary(
    client, reviewed, alice, thread, issue
):
    client.force_login(alice)
    page = client.get(reviewed.get_absolute_url()).content.decode()
    assert "A question" in page
    assert 'id="threads-' in page
    assert "1 comment, 1 open issue" in page
    assert 'id="issue-summary"' in page and "Open issues (1)" in page
    assert "bob" in page and "Waiting for review" in page


def test_reviewer_sees_the_verdict_form_and_no_edit_buttons(client, reviewed, bob):
    client.force_login(bob)
    page = client.get(reviewed.get_absolute_url()).content.decode()
    assert reverse("reviews:verdict", args=[reviewed.pk]) in page
    assert reverse("designs:section_edit", args=[reviewed.pk, section_of(reviewed).key]) not in page
    assert reverse("reviews:request", args=[reviewed.pk]) not in page


def test_design_page_query_count_does_not_grow_with_comments(client, reviewed, alice, bob):
    """Counted cold, with nothing of the page cached: the page, cards and threads are all
    rendered from the database at both sizes."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cold_queries(url) -> int:
        cache.clear()
        client.get(reverse("teams:list"))  # the session back in the cache, as in service
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        latest = Comment.objects.latest("pk")
        assert latest.body_html in response.content.decode()  # the threads were rendered
        return len(queries)

    sections = list(reviewed.sections.select_related("design").order_by("position"))
    for i in range(5):
        add_comment(section=sections[i % 17], author=bob, raise_issue=i % 2 == 0)
    client.force_login(alice)
    url = reviewed.get_absolute_url()
    few_count = cold_queries(url)
    thread = Comment.objects.filter(parent__isnull=True).first()
    for i in range(195):
        if i % 3 == 0:
            services.comment_reply(parent=thread, author=alice, body=f"reply {i}")
        else:
            add_comment(
                section=sections[i % 17], author=bob, body=f"c {i} @alice", raise_issue=i % 5 == 0
            )
    assert Comment.objects.count() == 200
    assert cold_queries(url) == few_count


def test_section_card_partial_still_carries_its_threads(client, reviewed, alice, thread):
    client.force_login(alice)
    key = section_of(reviewed).key
    response = client.get(reverse("designs:section", args=[reviewed.pk, key]), **HTMX)
    assert "A question" in response.content.decode()


# Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("comment_reply", "post"),
        ("comment_edit", "get"),
        ("comment_edit", "post"),
        ("comment_delete", "post"),
        ("issue_status", "post"),
        ("thread_resolve", "post"),
    ],
)
def test_outsider_gets_404_on_every_comment_action(client, outsider, issue, name, method):
    client.force_login(outsider)
    response = getattr(client, method)(
        comment_url(name, issue), {"body": "x", "status": "fixed", "resolved": "1"}
    )
    assert response.status_code == 404
    assert Comment.objects.get(pk=issue.pk).issue_status == "open"


def test_outsider_gets_404_commenting(client, outsider, reviewed):
    client.force_login(outsider)
    assert client.post(add_url(reviewed), {"body": "x"}).status_code == 404
    assert not Comment.objects.exists()


def test_outsider_gets_404_requesting_a_review(client, outsider, reviewed):
    client.force_login(outsider)
    url = reverse("reviews:request", args=[reviewed.pk])
    assert client.post(url, {"reviewer": "mallory"}).status_code == 404


def test_outsider_gets_404_giving_a_verdict(client, outsider, reviewed):
    client.force_login(outsider)
    url = reverse("reviews:verdict", args=[reviewed.pk])
    assert client.post(url, {"kind": "approve"}).status_code == 404


def test_outsider_gets_404_on_the_design_page_even_after_a_review_elsewhere(
    client, outsider, reviewed
):
    client.force_login(outsider)
    assert client.get(reviewed.get_absolute_url()).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, reviewed):
    response = client.post(add_url(reviewed), {"body": "x"})
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_requested_reviewer_can_read_the_design(client, reviewed, bob):
    client.force_login(bob)
    assert client.get(reviewed.get_absolute_url()).status_code == 200


def test_reviewer_cannot_edit_sections(client, reviewed, bob):
    client.force_login(bob)
    section = section_of(reviewed)
    url = reverse("designs:section_edit", args=[reviewed.pk, section.key])
    response = client.post(url, {"body": "hijack", "state": "draft", "base_version": 0})
    assert response.status_code == 403
    section.refresh_from_db()
    assert section.body == ""


def test_reviewer_cannot_request_reviews(client, reviewed, bob, carol):
    client.force_login(bob)
    url = reverse("reviews:request", args=[reviewed.pk])
    response = client.post(url, {"reviewer": "carol"})
    assert response.status_code == 403
    assert not ReviewRequest.objects.filter(reviewer=carol).exists()


def test_team_member_who_is_not_a_reviewer_cannot_give_a_verdict(client, reviewed, alice):
    client.force_login(alice)
    response = client.post(reverse("reviews:verdict", args=[reviewed.pk]), {"kind": "approve"})
    assert response.status_code == 403
    assert b"Only requested reviewers" in response.content
    assert not Verdict.objects.exists()


def test_non_author_cannot_edit_a_comment(client, alice, thread):
    client.force_login(alice)
    response = client.post(comment_url("comment_edit", thread), {"body": "changed"})
    assert response.status_code == 403
    assert Comment.objects.get(pk=thread.pk).body == "A question"


def test_non_author_cannot_open_the_comment_editor(client, alice, thread):
    client.force_login(alice)
    assert client.get(comment_url("comment_edit", thread)).status_code == 403


def test_non_author_cannot_delete_a_comment(client, alice, thread):
    client.force_login(alice)
    response = client.post(comment_url("comment_delete", thread))
    assert response.status_code == 403
    assert Comment.objects.filter(pk=thread.pk).exists()


def test_reviewer_cannot_mark_an_issue_fixed(client, bob, issue):
    client.force_login(bob)
    response = client.post(comment_url("issue_status", issue), {"status": "fixed"})
    assert response.status_code == 403
    assert b"Only the design&#x27;s authors" in response.content
    assert Comment.objects.get(pk=issue.pk).issue_status == "open"


def test_invalid_issue_move_is_a_400_with_the_reason(client, alice, issue):
    client.force_login(alice)
    client.post(comment_url("issue_status", issue), {"status": "fixed"})
    response = client.post(comment_url("issue_status", issue), {"status": "dropped"})
    assert response.status_code == 400
    assert b"can only be reopened" in response.content


def test_unknown_issue_status_is_a_400(client, alice, issue):
    client.force_login(alice)
    response = client.post(comment_url("issue_status", issue), {"status": "wontfix"})
    assert response.status_code == 400


def test_other_reviewer_cannot_resolve_someone_elses_thread(client, reviewed, alice, carol, thread):
    request_review(design=reviewed, reviewer=carol, requested_by=alice)
    client.force_login(carol)
    response = client.post(comment_url("thread_resolve", thread), {"resolved": "1"})
    assert response.status_code == 403


def test_someone_elses_notification_is_a_404(client, reviewed, alice, bob, thread):
    note = Notification.objects.get(recipient=alice)
    client.force_login(bob)
    assert client.post(reverse("reviews:read", args=[note.pk])).status_code == 404
    assert client.post(reverse("reviews:open", args=[note.pk])).status_code == 404
    assert Notification.objects.get(pk=note.pk).read_at is None


# No state change on GET --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["comment_reply", "comment_delete", "issue_status", "thread_resolve"]
)
def test_get_on_comment_actions_is_refused_and_changes_nothing(client, alice, issue, name):
    client.force_login(alice)
    assert client.get(comment_url(name, issue)).status_code == 405
    assert Comment.objects.get(pk=issue.pk).issue_status == "open"


def test_get_on_design_actions_is_refused(client, reviewed, alice):
    client.force_login(alice)
    for name in ("request", "verdict"):
        assert client.get(reverse(f"reviews:{name}", args=[reviewed.pk])).status_code == 405
    assert client.get(add_url(reviewed)).status_code == 405


def test_get_on_notification_actions_changes_nothing(client, alice, thread):
    note = Notification.objects.get(recipient=alice)
    client.force_login(alice)
    for url in (
        reverse("reviews:read", args=[note.pk]),
        reverse("reviews:open", args=[note.pk]),
        reverse("reviews:read_all"),
    ):
        assert client.get(url).status_code == 405
    assert client.get(reverse("reviews:inbox")).status_code == 200
    assert Notification.objects.get(pk=note.pk).read_at is None


# Actions -----------------------------------------------------------------------------------


def test_plain_comment_post_redirects_back_to_the_section(client, reviewed, bob):
    client.force_login(bob)
    response = client.post(add_url(reviewed, 10), {"body": "Shard by tenant?"})
    key = section_of(reviewed, 10).key
    assert response.status_code == 302
    assert response.url == f"/designs/{reviewed.pk}/#section-{key}"
    assert Comment.objects.get().body == "Shard by tenant?"


def test_htmx_comment_post_answers_with_the_threads_and_counts(client, reviewed, bob):
    client.force_login(bob)
    response = client.post(add_url(reviewed), {"body": "Hello", "raise_issue": "1"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Hello" in body and "Issue: open" in body
    assert 'hx-swap-oob="true"' in body
    assert "1 comment, 1 open issue" in body


def test_empty_comment_is_a_400_that_keeps_nothing(client, reviewed, bob):
    client.force_login(bob)
    response = client.post(add_url(reviewed), {"body": ""}, **HTMX)
    assert response.status_code == 400
    assert b"Write something first." in response.content
    assert not Comment.objects.exists()


def test_empty_comment_without_htmx_is_a_400_page(client, reviewed, bob):
    client.force_login(bob)
    response = client.post(add_url(reviewed), {"body": "  "})
    assert response.status_code == 400
    assert b"Write something first." in response.content


def test_reply_to_a_reply_is_a_400(client, reviewed, alice, bob, thread):
    reply = services.comment_reply(parent=thread, author=alice, body="yes")
    client.force_login(bob)
    response = client.post(comment_url("comment_reply", reply), {"body": "deeper"})
    assert response.status_code == 400
    assert b"one level deep" in response.content


def test_author_edits_their_comment(client, bob, thread):
    client.force_login(bob)
    assert client.get(comment_url("comment_edit", thread), **HTMX).status_code == 200
    response = client.post(comment_url("comment_edit", thread), {"body": "Better question"})
    assert response.status_code == 302
    assert Comment.objects.get(pk=thread.pk).body == "Better question"


def test_author_deletes_their_comment(client, bob, thread):
    client.force_login(bob)
    response = client.post(comment_url("comment_delete", thread), **HTMX)
    assert response.status_code == 200
    assert not Comment.objects.filter(pk=thread.pk).exists()


def test_author_marks_an_issue_fixed(client, alice, issue):
    client.force_login(alice)
    response = client.post(comment_url("issue_status", issue), {"status": "fixed"}, **HTMX)
    assert response.status_code == 200
    assert "marked it fixed" in response.content.decode()


def test_request_review_by_email(client, reviewed, alice, carol):
    client.force_login(alice)
    url = reverse("reviews:request", args=[reviewed.pk])
    response = client.post(url, {"reviewer": "carol@example.com", "message": "Please"})
    assert response.status_code == 302
    assert ReviewRequest.objects.filter(design=reviewed, reviewer=carol).exists()


def test_request_review_from_unknown_user_is_a_400(client, reviewed, alice):
    client.force_login(alice)
    response = client.post(reverse("reviews:request", args=[reviewed.pk]), {"reviewer": "nobody"})
    assert response.status_code == 400
    assert "Nobody here is called" in response.content.decode()


def test_reviewer_approves(client, reviewed, bob):
    client.force_login(bob)
    response = client.post(reverse("reviews:verdict", args=[reviewed.pk]), {"kind": "approve"})
    assert response.status_code == 302
    assert Design.objects.get(pk=reviewed.pk).status == "approved"


def test_unknown_verdict_is_a_400(client, reviewed, bob):
    client.force_login(bob)
    response = client.post(reverse("reviews:verdict", args=[reviewed.pk]), {"kind": "lgtm"})
    assert response.status_code == 400


# Inbox and dashboard -----------------------------------------------------------------------


def test_nav_shows_the_unread_count(client, alice, thread):
    client.force_login(alice)
    page = client.get(reverse("reviews:inbox")).content.decode()
    assert 'aria-label="1 unread"' in page


def test_opening_a_notification_marks_it_read_and_goes_to_the_section(client, alice, thread):
    note = Notification.objects.get(recipient=alice)
    client.force_login(alice)
    response = client.post(reverse("reviews:open", args=[note.pk]))
    assert response.url == note.url
    assert Notification.objects.get(pk=note.pk).read_at is not None


def test_mark_all_read(client, alice, thread, issue):
    client.force_login(alice)
    client.post(reverse("reviews:read_all"))
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()


def test_email_settings_are_saved(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("reviews:settings"),
        {"email_enabled": "on", "delivery_comment": "daily", "delivery_reply": "none"},
    )
    assert response.status_code == 302
    settings_row = alice.notification_settings
    assert settings_row.email_enabled
    assert settings_row.delivery_for("comment") == "daily"
    assert settings_row.delivery_for("reply") == "none"
    assert settings_row.delivery_for("verdict") == "immediate"  # left out: as before


def test_dashboard_shows_waiting_for_my_review_and_open_issues(client, reviewed, alice, bob, issue):
    client.force_login(bob)
    page = client.get(reverse("designs:dashboard")).content.decode()
    assert "Waiting for my review" in page
    assert reviewed.title in page.split("<h2>Waiting for my review</h2>")[1].split("</section>")[0]
    client.force_login(alice)
    page = client.get(reverse("designs:dashboard")).content.decode()
    mine = page.split("<h2>My designs with open issues</h2>")[1].split("</section>")[0]
    assert reviewed.title in mine and "1 open issue" in mine


def test_verdict_takes_the_design_off_my_waiting_list(client, reviewed, bob):
    services.verdict_submit(design=reviewed, reviewer=bob, kind="comment")
    client.force_login(bob)
    page = client.get(reverse("designs:dashboard")).content.decode()
    waiting = page.split("<h2>Waiting for my review</h2>")[1].split("</section>")[0]
    assert reviewed.title not in waiting


def test_dashboard_panels_cost_one_query_each(
    reviewed, alice, bob, issue, django_assert_num_queries
):
    from reviews import selectors

    with django_assert_num_queries(1):
        assert len(selectors.designs_waiting_for_review(fetched_by=bob)) == 1
    with django_assert_num_queries(1):
        assert selectors.designs_with_open_issues(fetched_by=alice)[0].open_issue_count == 1
