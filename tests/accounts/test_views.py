"""Sign up, sign in and out, password change, and team pages."""

import pytest
from django.urls import reverse

from accounts.models import Membership, Team, User
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


# Accounts ---------------------------------------------------------------------------------


def test_sign_up_creates_the_account_signs_in_and_goes_to_teams(client):
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": "erin",
            "email": "erin@example.com",
            "password1": "correct-horse-battery",
            "password2": "correct-horse-battery",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("teams:list")
    assert client.get(reverse("teams:list")).context["user"].username == "erin"


def test_sign_up_with_different_passwords_is_400(client):
    response = client.post(
        reverse("accounts:signup"),
        {"username": "erin", "password1": "correct-horse-1", "password2": "correct-horse-2"},
    )
    assert response.status_code == 400
    assert b"The two passwords differ." in response.content
    assert not User.objects.filter(username="erin").exists()


def test_sign_up_with_a_weak_password_is_400(client):
    response = client.post(
        reverse("accounts:signup"),
        {"username": "erin", "password1": "123", "password2": "123"},
    )
    assert response.status_code == 400
    assert not User.objects.filter(username="erin").exists()


def test_sign_up_with_a_taken_username_is_400(client, alice):
    response = client.post(
        reverse("accounts:signup"),
        {"username": "ALICE", "password1": "correct-horse-9", "password2": "correct-horse-9"},
    )
    assert response.status_code == 400
    assert b"That username is taken." in response.content


def test_sign_in_page_renders_with_a_csrf_token(client, db):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content


def test_sign_in_goes_to_the_dashboard(client, alice):
    response = client.post(
        reverse("accounts:login"), {"username": "alice", "password": "pw-for-tests-1"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("designs:dashboard")


def test_sign_in_with_a_wrong_password_stays_on_the_page(client, alice):
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_sign_out_is_post_only(client, alice):
    client.force_login(alice)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.get("/").status_code == 200  # still signed in


def test_sign_out_by_post_ends_the_session(client, alice):
    client.force_login(alice)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert client.get("/").status_code == 302


def test_password_change(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "pw-for-tests-1",
            "new_password1": "a-much-better-one-42",
            "new_password2": "a-much-better-one-42",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change_done")
    alice.refresh_from_db()
    assert alice.check_password("a-much-better-one-42")


def test_password_change_with_the_wrong_old_password_changes_nothing(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "wrong",
            "new_password1": "a-much-better-one-42",
            "new_password2": "a-much-better-one-42",
        },
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password("pw-for-tests-1")


def test_password_change_needs_sign_in(client, db):
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302


# Teams ------------------------------------------------------------------------------------


def test_create_a_team(client, alice):
    client.force_login(alice)
    response = client.post(reverse("teams:list"), {"name": "Search"})
    team = Team.objects.get(name="Search")
    assert response.status_code == 302
    assert response["Location"] == team.get_absolute_url()
    assert team.memberships.get().role == "owner"


def test_create_a_team_with_a_name_i_already_used_is_400(client, alice, team):
    client.force_login(alice)
    response = client.post(reverse("teams:list"), {"name": "platform"})
    assert response.status_code == 400
    assert b"already created a team with that name" in response.content


def test_creating_a_team_named_like_someone_elses_reveals_nothing(client, team, outsider):
    client.force_login(outsider)
    response = client.post(reverse("teams:list"), {"name": "platform"})
    assert response.status_code == 302
    assert Team.objects.filter(name__iexact="platform").count() == 2


def test_team_list_shows_only_my_teams(client, alice, team, outsider):
    mine = TeamFactory(name="Guild", created_by=outsider)
    client.force_login(outsider)
    response = client.get(reverse("teams:list"))
    assert response.status_code == 200
    assert mine.get_absolute_url().encode() in response.content
    assert team.get_absolute_url().encode() not in response.content
    assert b"Platform" not in response.content


def test_outsider_gets_404_on_a_team_page(client, team, outsider):
    client.force_login(outsider)
    assert client.get(team.get_absolute_url()).status_code == 404


def test_owner_removes_a_member(client, alice, team, member):
    client.force_login(alice)
    response = client.post(reverse("teams:member_remove", args=[team.pk, member.pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(team=team, user=member).exists()


def test_a_member_gets_403_when_removing_someone_else(client, alice, team, member):
    client.force_login(member)
    response = client.post(reverse("teams:member_remove", args=[team.pk, alice.pk]))
    assert response.status_code == 403
    assert Membership.objects.filter(team=team, user=alice).exists()


def test_removing_members_refuses_get(client, alice, team, member):
    client.force_login(alice)
    response = client.get(reverse("teams:member_remove", args=[team.pk, member.pk]))
    assert response.status_code == 405
    assert Membership.objects.filter(team=team, user=member).exists()
