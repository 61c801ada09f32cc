"""Team members withdraw a review request: the person leaves the reviewers, their verdicts
stop counting, and someone outside the team loses read access."""

import pytest
from django.urls import reverse

from designs.models import Design, DesignReader
from reviews import services
from reviews.models import Comment, ReviewRequest, Verdict
from tests.api.conftest import ApiClient
from tests.factories import MembershipFactory, UserFactory, make_api_token, make_design

pytestmark = pytest.mark.django_db


@pytest.fixture
def design(team, alice):
    return make_design(team=team, author=alice, title="URL shortener")


def _ask(design, reviewer, by):
    services.review_request(design=design, reviewer=reviewer, requested_by=by)


def test_withdrawing_an_outside_reviewer_takes_back_their_access(client, design, alice):
    rita = UserFactory(username="rita")
    _ask(design, rita, alice)
    client.force_login(rita)
    assert client.get(design.get_absolute_url()).status_code == 200

    client.force_login(alice)
    response = client.post(reverse("reviews:withdraw", args=[design.pk, "rita"]), follow=True)

    assert response.status_code == 200
    assert "Withdrew the review request for rita." in response.content.decode()
    assert not ReviewRequest.objects.filter(design=design).exists()
    assert not DesignReader.objects.filter(design=design, user=rita).exists()
    client.force_login(rita)
    assert client.get(design.get_absolute_url()).status_code == 404


def test_their_verdicts_stay_in_the_record_but_no_longer_block(design, alice):
    rita, bob = UserFactory(username="rita"), UserFactory(username="bob2")
    _ask(design, rita, alice)
    _ask(design, bob, alice)
    services.verdict_submit(design=design, reviewer=rita, kind=Verdict.Kind.REQUEST_CHANGES)
    services.verdict_submit(design=design, reviewer=bob, kind=Verdict.Kind.APPROVE)
    design.refresh_from_db()
    assert design.status == Design.Status.CHANGES_REQUESTED

    services.review_request_withdraw(design=design, reviewer=rita, withdrawn_by=alice)

    design.refresh_from_db()
    assert design.status == Design.Status.APPROVED
    assert Verdict.objects.filter(design=design, reviewer=rita).exists()


def test_with_nobody_left_to_review_the_design_is_a_draft_again(design, alice):
    rita = UserFactory(username="rita")
    _ask(design, rita, alice)
    design.refresh_from_db()
    assert design.status == Design.Status.IN_REVIEW
    services.review_request_withdraw(design=design, reviewer=rita, withdrawn_by=alice)
    design.refresh_from_db()
    assert design.status == Design.Status.DRAFT


def test_a_team_member_asked_to_review_keeps_their_access(client, design, team, alice):
    member = MembershipFactory(team=team, user=UserFactory(username="mia")).user
    _ask(design, member, alice)
    services.review_request_withdraw(design=design, reviewer=member, withdrawn_by=alice)
    client.force_login(member)
    assert client.get(design.get_absolute_url()).status_code == 200


def test_their_comments_stay(design, alice):
    rita = UserFactory(username="rita")
    _ask(design, rita, alice)
    section = design.sections.first()
    services.comment_add(section=section, author=rita, body="Why not a CDN?")
    services.review_request_withdraw(design=design, reviewer=rita, withdrawn_by=alice)
    assert Comment.objects.filter(author=rita, body="Why not a CDN?").exists()


def test_only_the_team_withdraws_and_only_existing_requests(client, design, alice):
    rita = UserFactory(username="rita")
    _ask(design, rita, alice)
    with pytest.raises(PermissionError):
        services.review_request_withdraw(design=design, reviewer=rita, withdrawn_by=rita)
    client.force_login(rita)
    response = client.post(reverse("reviews:withdraw", args=[design.pk, "rita"]))
    assert response.status_code == 403
    client.force_login(alice)
    assert client.get(reverse("reviews:withdraw", args=[design.pk, "rita"])).status_code == 405
    assert client.post(reverse("reviews:withdraw", args=[design.pk, "nobody"])).status_code == 404
    assert client.post(reverse("reviews:withdraw", args=[design.pk, "alice"])).status_code == 404
    assert ReviewRequest.objects.filter(design=design, reviewer=rita).exists()


def test_the_design_page_offers_the_button_to_the_team_only(client, design, alice):
    rita = UserFactory(username="rita")
    _ask(design, rita, alice)
    action = reverse("reviews:withdraw", args=[design.pk, "rita"])
    client.force_login(alice)
    assert action in client.get(design.get_absolute_url()).content.decode()
    client.force_login(rita)
    assert action not in client.get(design.get_absolute_url()).content.decode()


def test_the_api_withdraws_a_request(design, alice):
    rita = UserFactory(username="rita")
    _ask(design, rita, alice)
    api = ApiClient(make_api_token(user=alice))
    url = f"/api/v1/designs/{design.pk}/reviewers/rita"
    response = api.delete(url)
    assert response.status_code == 204
    assert not ReviewRequest.objects.filter(design=design).exists()
    assert api.delete(url).status_code == 404
    assert ApiClient(make_api_token(user=rita)).delete(url).status_code == 404  # no access now
