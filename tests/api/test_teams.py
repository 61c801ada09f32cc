import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership
from tests.factories import MembershipFactory, TeamFactory, UserFactory


@pytest.mark.django_db
def test_team_list_shows_only_my_teams(owner_client, team, other_team_user):
    response = owner_client.get("/api/v1/teams")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["items"] == [{"id": team.pk, "name": "Platform", "member_count": 1}]


@pytest.mark.django_db
def test_outsider_sees_no_teams(api_for, team, outsider):
    assert api_for(outsider).get("/api/v1/teams").json() == {"items": [], "count": 0}


@pytest.mark.django_db
def test_team_list_query_count_does_not_grow_with_page_size(api_for, alice):
    for i in range(12):
        MembershipFactory(team=TeamFactory(name=f"Team {i:02}"), user=alice)
    client = api_for(alice)
    client.get("/api/v1/teams")  # first use records last_used_at
    counts = []
    for size in (2, 12):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/teams?page_size={size}")
        assert len(response.json()["items"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 3


@pytest.mark.django_db
def test_team_create_makes_the_caller_owner(owner_client, alice):
    response = owner_client.post_json("/api/v1/teams", {"name": "Data"})
    assert response.status_code == 201
    assert response.json()["name"] == "Data"
    assert Membership.objects.get(team_id=response.json()["id"], user=alice).role == "owner"


@pytest.mark.django_db
def test_team_create_with_a_taken_name_is_422_on_name(owner_client, team):
    response = owner_client.post_json("/api/v1/teams", {"name": "platform"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


@pytest.mark.django_db
def test_team_create_refuses_surrounding_whitespace_rather_than_trimming(owner_client):
    response = owner_client.post_json("/api/v1/teams", {"name": " Data "})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


@pytest.mark.django_db
def test_team_create_without_a_name_is_422(owner_client):
    response = owner_client.post_json("/api/v1/teams", {})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


@pytest.mark.django_db
def test_owner_adds_a_member(owner_client, team, bob):
    response = owner_client.post_json(
        f"/api/v1/teams/{team.pk}/members", {"username": "bob", "role": "member"}
    )
    assert response.status_code == 201
    assert response.json() == {"user": {"id": bob.pk, "username": "bob"}, "role": "member"}
    assert Membership.objects.filter(team=team, user=bob, role="member").exists()


@pytest.mark.django_db
def test_owner_adds_a_member_by_email(owner_client, team, bob):
    response = owner_client.post_json(
        f"/api/v1/teams/{team.pk}/members", {"username": "bob@example.com"}
    )
    assert response.status_code == 201
    assert response.json()["role"] == "member"


@pytest.mark.django_db
def test_plain_member_may_not_add_members_403(member_client, team, bob):
    response = member_client.post_json(f"/api/v1/teams/{team.pk}/members", {"username": "bob"})
    assert response.status_code == 403
    assert "owner" in response.json()["detail"]
    assert not Membership.objects.filter(team=team, user=bob).exists()


@pytest.mark.django_db
def test_outsider_adding_to_a_team_gets_404(api_for, team, outsider, bob):
    response = api_for(outsider).post_json(f"/api/v1/teams/{team.pk}/members", {"username": "bob"})
    assert response.status_code == 404
    assert not Membership.objects.filter(team=team, user=bob).exists()


@pytest.mark.django_db
def test_other_team_owner_adding_to_my_team_gets_404(api_for, team, other_team_user, bob):
    response = api_for(other_team_user).post_json(
        f"/api/v1/teams/{team.pk}/members", {"username": "bob"}
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_adding_an_unknown_user_is_422_on_username(owner_client, team):
    response = owner_client.post_json(f"/api/v1/teams/{team.pk}/members", {"username": "ghost"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "username"]


@pytest.mark.django_db
def test_adding_with_an_unknown_role_is_422_on_role(owner_client, team, bob):
    response = owner_client.post_json(
        f"/api/v1/teams/{team.pk}/members", {"username": "bob", "role": "admin"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "role"]


@pytest.mark.django_db
def test_member_of_an_unknown_team_is_404(owner_client):
    UserFactory(username="bob")
    response = owner_client.post_json("/api/v1/teams/999999/members", {"username": "bob"})
    assert response.status_code == 404
