import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Invitation, Membership
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
def test_team_create_with_a_name_taken_by_another_team_reveals_nothing(api_for, team, outsider):
    response = api_for(outsider).post_json("/api/v1/teams", {"name": "platform"})
    assert response.status_code == 201
    assert response.json()["id"] != team.pk


@pytest.mark.django_db
def test_team_list_counts_every_member_of_a_team_of_3(api_for, team, member):
    MembershipFactory(team=team, user=UserFactory(username="third"))
    body = api_for(member).get("/api/v1/teams").json()
    assert body["items"] == [{"id": team.pk, "name": "Platform", "member_count": 3}]


def _invite(client, team, username, role="member"):
    return client.post_json(
        f"/api/v1/teams/{team.pk}/invitations", {"username": username, "role": role}
    )


@pytest.mark.django_db
def test_owner_invites_and_nobody_joins_until_they_accept(owner_client, team, bob):
    response = _invite(owner_client, team, "bob")
    assert response.status_code == 202
    assert response.json() == {"detail": "If that person has an account, they have been invited."}
    assert Invitation.objects.filter(team=team, invitee=bob, status="pending").exists()
    assert not Membership.objects.filter(team=team, user=bob).exists()


@pytest.mark.django_db
def test_invite_answers_the_same_whoever_it_names(owner_client, team, bob, member):
    answers = {
        identifier: (response.status_code, response.content)
        for identifier in ("bob", "bob@example.com", "ghost", "ghost@example.com", "member")
        for response in [_invite(owner_client, team, identifier)]
    }
    assert len(set(answers.values())) == 1, answers
    assert Invitation.objects.count() == 1


@pytest.mark.django_db
def test_invite_over_the_limit_is_429_with_retry_after(settings, owner_client, team):
    settings.CRIT_INVITATIONS_PER_HOUR = 2
    assert [_invite(owner_client, team, f"ghost{n}").status_code for n in range(2)] == [202, 202]
    response = _invite(owner_client, team, "bob")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "at most 2 invitations an hour" in response.json()["detail"]


@pytest.mark.django_db
def test_plain_member_may_not_invite_403(member_client, team, bob):
    response = _invite(member_client, team, "bob")
    assert response.status_code == 403
    assert "owner" in response.json()["detail"]
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_outsider_inviting_to_a_team_gets_404(api_for, team, outsider, bob):
    assert _invite(api_for(outsider), team, "bob").status_code == 404
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_inviting_with_an_unknown_role_is_422_on_role(owner_client, team, bob):
    response = _invite(owner_client, team, "bob", role="admin")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "role"]


@pytest.mark.django_db
def test_invitee_lists_and_accepts(owner_client, api_for, team, alice, bob):
    _invite(owner_client, team, "bob", role="owner")
    client = api_for(bob)
    body = client.get("/api/v1/invitations").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["team"], item["invited_by"], item["role"]) == (
        {"id": team.pk, "name": "Platform"},
        {"id": alice.pk, "username": "alice"},
        "owner",
    )
    response = client.post_json(f"/api/v1/invitations/{item['id']}/accept")
    assert response.status_code == 200
    assert response.json() == {"team": {"id": team.pk, "name": "Platform"}, "role": "owner"}
    assert Membership.objects.get(team=team, user=bob).role == "owner"
    assert client.get("/api/v1/invitations").json()["count"] == 0
    again = client.post_json(f"/api/v1/invitations/{item['id']}/accept")
    assert again.status_code == 422


@pytest.mark.django_db
def test_invitee_declines(owner_client, api_for, team, bob):
    _invite(owner_client, team, "bob")
    invitation = Invitation.objects.get(invitee=bob)
    response = api_for(bob).post_json(f"/api/v1/invitations/{invitation.pk}/decline")
    assert response.status_code == 204
    assert not Membership.objects.filter(team=team, user=bob).exists()


@pytest.mark.django_db
def test_only_the_invitee_may_answer_404(owner_client, api_for, team, bob, outsider):
    _invite(owner_client, team, "bob")
    invitation = Invitation.objects.get(invitee=bob)
    for client in (owner_client, api_for(outsider)):
        for answer in ("accept", "decline"):
            response = client.post_json(f"/api/v1/invitations/{invitation.pk}/{answer}")
            assert response.status_code == 404
    assert Invitation.objects.get(pk=invitation.pk).status == "pending"


@pytest.mark.django_db
def test_the_last_owner_cannot_demote_themselves_422(owner_client, team, alice):
    response = owner_client.put(
        f"/api/v1/teams/{team.pk}/members/{alice.pk}", {"role": "member"}, "application/json"
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "role"]
    assert "at least one owner" in response.json()["detail"][0]["msg"]
    assert Membership.objects.get(team=team, user=alice).role == "owner"


@pytest.mark.django_db
def test_owner_promotes_a_member(owner_client, team, member):
    response = owner_client.put(
        f"/api/v1/teams/{team.pk}/members/{member.pk}", {"role": "owner"}, "application/json"
    )
    assert response.status_code == 200
    assert response.json() == {"user": {"id": member.pk, "username": "member"}, "role": "owner"}


@pytest.mark.django_db
def test_plain_member_may_not_change_roles_403(member_client, team, member):
    response = member_client.put(
        f"/api/v1/teams/{team.pk}/members/{member.pk}", {"role": "owner"}, "application/json"
    )
    assert response.status_code == 403
    assert Membership.objects.get(team=team, user=member).role == "member"


@pytest.mark.django_db
def test_invite_to_an_unknown_team_is_404(owner_client):
    UserFactory(username="bob")
    response = owner_client.post_json("/api/v1/teams/999999/invitations", {"username": "bob"})
    assert response.status_code == 404
