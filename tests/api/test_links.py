"""The API's related designs: list, add and remove links; only what the caller may see."""

import pytest

from designs import services
from designs.models import DesignLink
from tests.factories import MembershipFactory, make_design

pytestmark = pytest.mark.django_db


def _url(design, link=None) -> str:
    url = f"/api/v1/designs/{design.pk}/links"
    return f"{url}/{link.pk}" if link else url


@pytest.fixture
def older(team, alice):
    return make_design(team=team, author=alice, title="Old shortener")


@pytest.fixture
def rival_design(other_team_user):
    return make_design(team=other_team_user.teams.get(), author=other_team_user, title="Secret")


def test_a_member_adds_a_link_and_both_designs_list_it(owner_client, design, older):
    response = owner_client.post_json(_url(design), {"design_id": older.pk, "kind": "supersedes"})
    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "supersedes" and body["direction"] == "outgoing"
    assert body["design"] == {"id": older.pk, "title": "Old shortener", "status": "draft"}
    (item,) = owner_client.get(_url(older)).json()["items"]
    assert (item["direction"], item["label"], item["design"]["id"]) == (
        "incoming",
        "Superseded by",
        design.pk,
    )


def test_a_self_link_is_422_on_design_id(owner_client, design):
    response = owner_client.post_json(_url(design), {"design_id": design.pk, "kind": "relates_to"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "design_id"]


def test_a_duplicate_link_is_422(owner_client, design, older):
    owner_client.post_json(_url(design), {"design_id": older.pk, "kind": "relates_to"})
    response = owner_client.post_json(_url(older), {"design_id": design.pk, "kind": "relates_to"})
    assert response.status_code == 422
    assert "already linked" in response.json()["detail"][0]["msg"]


def test_linking_to_a_design_one_cannot_see_is_422_like_a_missing_one(
    owner_client, design, rival_design
):
    hidden = owner_client.post_json(
        _url(design), {"design_id": rival_design.pk, "kind": "relates_to"}
    )
    missing = owner_client.post_json(_url(design), {"design_id": 999_999, "kind": "relates_to"})
    assert hidden.status_code == missing.status_code == 422
    assert hidden.json() == missing.json()
    assert not DesignLink.objects.exists()


def test_an_unknown_kind_is_422(owner_client, design, older):
    response = owner_client.post_json(_url(design), {"design_id": older.pk, "kind": "blocks"})
    assert response.status_code == 422


def test_links_to_designs_the_caller_cannot_see_are_not_listed_or_counted(
    owner_client, design, rival_design, other_team_user
):
    MembershipFactory(team=design.team, user=other_team_user)
    services.design_link_add(
        design=rival_design, target=design, kind="supersedes", added_by=other_team_user
    )
    design.team.memberships.filter(user=other_team_user).delete()
    body = owner_client.get(_url(design)).json()
    assert body == {"items": [], "count": 0}


def test_a_member_removes_a_link(owner_client, design, older, alice):
    link = services.design_link_add(design=design, target=older, kind="relates_to", added_by=alice)
    assert owner_client.delete(_url(older, link)).status_code == 204
    assert not DesignLink.objects.exists()


def test_removing_a_hidden_link_is_404(owner_client, design, rival_design, other_team_user):
    MembershipFactory(team=design.team, user=other_team_user)
    link = services.design_link_add(
        design=rival_design, target=design, kind="relates_to", added_by=other_team_user
    )
    design.team.memberships.filter(user=other_team_user).delete()
    assert owner_client.delete(_url(design, link)).status_code == 404
    assert DesignLink.objects.exists()


def test_an_outsider_gets_404_everywhere(api_for, outsider, design, older, alice):
    link = services.design_link_add(design=design, target=older, kind="relates_to", added_by=alice)
    client = api_for(outsider)
    assert client.get(_url(design)).status_code == 404
    assert (
        client.post_json(_url(design), {"design_id": older.pk, "kind": "supersedes"}).status_code
        == 404
    )
    assert client.delete(_url(design, link)).status_code == 404
    assert DesignLink.objects.count() == 1


def test_a_reviewer_lists_links_but_cannot_change_them(api_for, reviewer, design, older, alice):
    services.design_link_add(design=design, target=older, kind="relates_to", added_by=alice)
    client = api_for(reviewer)
    assert client.get(_url(design)).json() == {"items": [], "count": 0}  # cannot see `older`
    response = client.post_json(_url(design), {"design_id": older.pk, "kind": "supersedes"})
    assert response.status_code == 403


def test_listing_costs_the_same_with_1_or_12_links(
    owner_client, design, alice, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    others = [make_design(team=design.team, author=alice, title=f"Other {n}") for n in range(12)]
    services.design_link_add(design=design, target=others[0], kind="relates_to", added_by=alice)
    owner_client.get(_url(design))
    with CaptureQueriesContext(connection) as one:
        owner_client.get(_url(design))
    for other in others[1:]:
        services.design_link_add(design=other, target=design, kind="supersedes", added_by=alice)
    with django_assert_max_num_queries(len(one)):
        assert owner_client.get(_url(design)).json()["count"] == 12
