"""Users and teams, written through services."""

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import Membership, Team, User
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_user_create_hashes_the_password():
    user = services.user_create(username="erin", email="erin@example.com", password="s3cret-pw!")
    assert user.password != "s3cret-pw!"
    assert user.check_password("s3cret-pw!")


def test_usernames_are_unique_ignoring_case():
    services.user_create(username="Erin", password="pw-123456")
    with pytest.raises(ValidationError) as caught:
        services.user_create(username="erin", password="pw-123456")
    assert "username" in caught.value.message_dict


def test_emails_are_unique_ignoring_case():
    services.user_create(username="erin", email="Erin@Example.com", password="pw-123456")
    with pytest.raises(ValidationError) as caught:
        services.user_create(username="other", email="erin@example.com", password="pw-123456")
    assert "email" in caught.value.message_dict


def test_password_set_replaces_the_password(alice):
    services.user_password_set(user=alice, password="brand-new-pw")
    alice.refresh_from_db()
    assert alice.check_password("brand-new-pw")


def test_team_create_makes_the_creator_owner(alice):
    team = services.team_create(name=" Search ", created_by=alice)
    assert team.name == "Search"
    assert Membership.objects.get(team=team, user=alice).role == Membership.Role.OWNER


def test_team_names_are_unique_ignoring_case(alice):
    services.team_create(name="Search", created_by=alice)
    with pytest.raises(ValidationError):
        services.team_create(name="search", created_by=alice)
    assert Team.objects.count() == 1


def test_blank_team_name_is_refused(alice):
    with pytest.raises(ValidationError):
        services.team_create(name="  ", created_by=alice)


def test_owner_adds_a_member_by_username(team, alice, bob):
    membership = services.team_member_add(team=team, identifier="BOB", added_by=alice)
    assert (membership.user, membership.role) == (bob, Membership.Role.MEMBER)


def test_owner_adds_a_member_by_email(team, alice, bob):
    membership = services.team_member_add(
        team=team, identifier="bob@example.com", role="owner", added_by=alice
    )
    assert (membership.user, membership.role) == (bob, Membership.Role.OWNER)


def test_adding_twice_keeps_one_membership_and_updates_the_role(team, alice, bob):
    services.team_member_add(team=team, identifier="bob", added_by=alice)
    services.team_member_add(team=team, identifier="bob", role="owner", added_by=alice)
    assert Membership.objects.filter(team=team, user=bob).count() == 1
    assert Membership.objects.get(team=team, user=bob).role == "owner"


def test_a_member_cannot_add_members(team, member, bob):
    with pytest.raises(PermissionError):
        services.team_member_add(team=team, identifier="bob", added_by=member)
    assert not Membership.objects.filter(team=team, user=bob).exists()


def test_adding_an_unknown_user_is_refused(team, alice):
    with pytest.raises(ValidationError) as caught:
        services.team_member_add(team=team, identifier="nobody", added_by=alice)
    assert "nobody" in caught.value.message_dict["user"][0]


def test_inactive_users_cannot_be_added(team, alice):
    UserFactory(username="gone", is_active=False)
    with pytest.raises(ValidationError):
        services.team_member_add(team=team, identifier="gone", added_by=alice)


def test_owner_removes_a_member(team, alice, member):
    services.team_member_remove(team=team, user=member, removed_by=alice)
    assert not Membership.objects.filter(team=team, user=member).exists()


def test_a_member_may_leave(team, member):
    services.team_member_remove(team=team, user=member, removed_by=member)
    assert not Membership.objects.filter(team=team, user=member).exists()


def test_a_member_cannot_remove_someone_else(team, alice, member):
    with pytest.raises(PermissionError):
        services.team_member_remove(team=team, user=alice, removed_by=member)


def test_the_last_owner_cannot_leave(team, alice):
    with pytest.raises(ValidationError):
        services.team_member_remove(team=team, user=alice, removed_by=alice)
    assert Membership.objects.filter(team=team, user=alice).exists()


def test_an_owner_may_leave_when_another_owner_remains(team, alice):
    other = MembershipFactory(team=team, role=Membership.Role.OWNER).user
    services.team_member_remove(team=team, user=alice, removed_by=alice)
    assert list(team.memberships.values_list("user", flat=True)) == [other.pk]


def test_user_model_is_ours():
    assert User._meta.label == "accounts.User"
