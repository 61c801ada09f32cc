"""The admin cannot change a comment's text or a verdict: only the review services do."""

import pytest
from django.urls import reverse

from reviews.models import Comment, Verdict
from reviews.services import verdict_submit
from tests.factories import UserFactory, add_comment
from tests.reviews.conftest import section_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_admin_post_changing_a_comment_body_changes_nothing(admin_client, reviewed, bob):
    comment = add_comment(section=section_of(reviewed), author=bob, body="Needs a *cache*.")
    url = reverse("admin:reviews_comment_change", args=[comment.pk])
    form = {
        "design": comment.design_id,
        "section": comment.section_id,
        "author": comment.author_id,
        "body": "Words bob never wrote.",
        "body_html": "<p>Words bob never wrote.</p>",
        "section_version": comment.section_version,
        "issue_status": comment.issue_status,
    }
    response = admin_client.post(url, form)
    assert response.status_code == 403
    comment.refresh_from_db()
    assert comment.body == "Needs a *cache*."
    assert "<em>cache</em>" in comment.body_html
    page = admin_client.get(url)
    assert page.status_code == 200
    assert b'name="body"' not in page.content
    delete = reverse("admin:reviews_comment_delete", args=[comment.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert Comment.objects.filter(pk=comment.pk).exists()


def test_admin_cannot_change_a_verdict(admin_client, reviewed, bob):
    verdict = verdict_submit(design=reviewed, reviewer=bob, kind=Verdict.Kind.APPROVE)
    url = reverse("admin:reviews_verdict_change", args=[verdict.pk])
    form = {"design": reviewed.pk, "reviewer": bob.pk, "kind": "request_changes", "summary": ""}
    assert admin_client.post(url, form).status_code == 403
    verdict.refresh_from_db()
    assert verdict.kind == Verdict.Kind.APPROVE
