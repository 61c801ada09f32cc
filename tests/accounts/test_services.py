"""Users and teams, written through services."""

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import Membership, Team, User
from tests.factories import MembershipFactory

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


def test_a_verified_email_is_unique_ignoring_case():
    services.user_create(
        username="erin", email="Erin@Example.com", password="pw-123456", email_verified=True
    )
    with pytest.raises(ValidationError):
        services.user_create(
            username="other", email="erin@example.com", password="pw-123456", email_verified=True
        )
    assert not User.objects.filter(username="other").exists()


def test_password_set_replaces_the_password(alice):
    services.user_password_set(user=alice, password="brand-new-pw")
    alice.refresh_from_db()
    assert alice.check_password("brand-new-pw")


def test_team_create_makes_the_creator_owner(alice):
    team = services.team_create(name=" Search ", created_by=alice)
    assert team.name == "Search"
    assert Membership.objects.get(team=team, user=alice).role == Membership.Role.OWNER


def test_team_names_are_unique_per_creator_ignoring_case(alice):
    services.team_create(name="Search", created_by=alice)
    with pytest.raises(ValidationError):
        services.team_create(name="search", created_by=alice)
    assert Team.objects.count() == 1


def test_a_name_taken_by_someone_elses_team_is_free_and_says_nothing(team, outsider):
    created = services.team_create(name="platform", created_by=outsider)
    assert created.pk != team.pk
    assert Team.objects.filter(name__iexact="platform").count() == 2


def test_blank_team_name_is_refused(alice):
    with pytest.raises(ValidationError):
        services.team_create(name="  ", created_by=alice)


def test_seeding_puts_a_user_in_a_team_idempotently(team, bob):
    services.team_member_seed(team=team, user=bob)
    services.team_member_seed(team=team, user=bob, role="owner")
    assert list(team.memberships.filter(user=bob).values_list("role", flat=True)) == ["owner"]


def test_owner_removes_a_member(team, alice, member):
    services.team_member_remove(team=team, user=member, removed_by=alice)
    assert not Membership.objects.filter(team=team, user=member).exists()


def test_a_member_may_leave(team, member):
    services.team_member_remove(team=team, user=member, removed_by=member)
    assert not Membership.objects.filter(team=team, user=member).exists()


def test_a_member_cannot_remove_someone_else(team, alice, member):
    with pytest.raises(PermissionError):
        services.team_member_remove(team=team, user=alice, removed_by=member)


def test_the_last_owner_cannot_step_down_to_member(team, alice):
    with pytest.raises(ValidationError) as caught:
        services.team_member_role_set(team=team, user=alice, role="member", changed_by=alice)
    assert "at least one owner" in caught.value.message_dict["role"][0]
    assert Membership.objects.get(team=team, user=alice).role == "owner"


def test_an_owner_may_step_down_when_another_owner_remains(team, alice, bob):
    MembershipFactory(team=team, user=bob, role=Membership.Role.OWNER)
    services.team_member_role_set(team=team, user=alice, role="member", changed_by=alice)
    assert Membership.objects.get(team=team, user=alice).role == "member"


def test_an_owner_makes_a_member_an_owner(team, alice, member):
    services.team_member_role_set(team=team, user=member, role="owner", changed_by=alice)
    assert Membership.objects.get(team=team, user=member).role == "owner"


def test_a_member_cannot_change_roles(team, member):
    with pytest.raises(PermissionError):
        services.team_member_role_set(team=team, user=member, role="owner", changed_by=member)
    assert Membership.objects.get(team=team, user=member).role == "member"


def test_the_last_owner_cannot_leave(team, alice):
    with pytest.raises(ValidationError):
        services.team_member_remove(team=team, user=alice, removed_by=alice)
    assert Membership.objects.filter(team=team, user=alice).exists()


def test_an_owner_may_leave_when_another_owner_remains(team, alice):
    other = MembershipFactory(team=team, role=Membership.Role.OWNER).user
    services.team_member_remove(team=team, user=alice, removed_by=alice)
    assert list(team.memberships.values_list("user", flat=True)) == [other.pk]


def test_user_model_is_ours(settings):
    from django.contrib.auth import get_user_model

    assert settings.AUTH_USER_MODEL == "accounts.User"
    assert get_user_model() is User
