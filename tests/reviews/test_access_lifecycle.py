"""Every way to read a design ends one way: a team membership when the person leaves the
team, a review request when it is withdrawn. Whatever the order of joining the team, being
asked to review, the request being withdrawn and leaving the team, a person reads the design
(its page, an export download, the API) exactly while they are on the team or have a live
review request, and no reader grant is ever left without a request behind it."""

from contextlib import suppress
from itertools import permutations

import pytest
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Membership
from designs.models import DesignReader
from exports.models import ExportJob
from reviews import services
from reviews.models import ReviewRequest
from tests.api.conftest import ApiClient
from tests.factories import MembershipFactory, UserFactory, make_api_token

pytestmark = pytest.mark.django_db

STEPS = ("add_to_team", "request_review", "withdraw", "remove_from_team")


@pytest.fixture
def carol(db):
    return UserFactory(username="carol")


@pytest.fixture
def export_job(client, design, alice, django_capture_on_commit_callbacks):
    """A finished Markdown export of ``design``, asked for by alice."""
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("exports:design", args=[design.pk]), {"format": "markdown"})
    job = ExportJob.objects.get()
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 200
    return job


def _take(step: str, *, design, team, alice, carol) -> None:
    """One step as the team would take it; a step with nothing to act on changes nothing."""
    if step == "add_to_team":
        MembershipFactory(team=team, user=carol)
    elif step == "request_review":
        services.review_request(design=design, reviewer=carol, requested_by=alice)
    elif step == "withdraw":
        with suppress(LookupError):  # never asked: nothing to withdraw
            services.review_request_withdraw(design=design, reviewer=carol, withdrawn_by=alice)
    else:
        account_services.team_member_remove(team=team, user=carol, removed_by=alice)


def _answers(client, api, *, design, job) -> tuple[int, int, int]:
    return (
        client.get(design.get_absolute_url()).status_code,
        client.get(reverse("exports:download", args=[job.pk])).status_code,
        api.get(f"/api/v1/designs/{design.pk}").status_code,
    )


@pytest.mark.parametrize("order", list(permutations(STEPS)), ids="-".join)
def test_a_person_reads_a_design_exactly_while_on_the_team_or_asked_to_review(
    client, order, design, team, alice, carol, export_job
):
    api = ApiClient(make_api_token(user=carol))
    client.force_login(carol)
    assert _answers(client, api, design=design, job=export_job) == (404, 404, 404)

    for done, step in enumerate(order, start=1):
        _take(step, design=design, team=team, alice=alice, carol=carol)

        on_team = Membership.objects.filter(team=team, user=carol).exists()
        asked = ReviewRequest.objects.filter(design=design, reviewer=carol).exists()
        expected = 200 if on_team or asked else 404
        after = " then ".join(order[:done])
        assert _answers(client, api, design=design, job=export_job) == (expected,) * 3, after
        # A grant is there exactly while the request is, so the panel always explains it.
        assert DesignReader.objects.filter(design=design, user=carol).exists() == asked, after


def test_the_probed_order_ends_access_after_leaving_the_team(
    client, design, team, alice, carol, export_job
):
    """Asked while outside the team, added, withdrawn (still a member), then removed."""
    services.review_request(design=design, reviewer=carol, requested_by=alice)
    MembershipFactory(team=team, user=carol)
    services.review_request_withdraw(design=design, reviewer=carol, withdrawn_by=alice)
    account_services.team_member_remove(team=team, user=carol, removed_by=alice)

    client.force_login(carol)
    api = ApiClient(make_api_token(user=carol))
    assert _answers(client, api, design=design, job=export_job) == (404, 404, 404)
    assert not DesignReader.objects.filter(user=carol).exists()


def test_leaving_the_team_keeps_a_live_review_request_working(client, design, team, alice, carol):
    MembershipFactory(team=team, user=carol)
    services.review_request(design=design, reviewer=carol, requested_by=alice)
    account_services.team_member_remove(team=team, user=carol, removed_by=alice)

    client.force_login(carol)
    response = client.get(design.get_absolute_url())
    assert response.status_code == 200
    services.comment_add(section=design.sections.first(), author=carol, body="Still here.")
