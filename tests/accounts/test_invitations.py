"""Joining a team takes the person's consent: owners invite, only the invitee accepts, and
nothing the inviter sees tells whether a name or address belongs to anyone."""

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import TestCase
from django.urls import reverse

from accounts import selectors, services
from accounts.models import Invitation, Membership
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _invite(team, identifier, *, by, role="member"):
    """Invite as a request would, with what runs after commit (the email) run."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.team_invite(team=team, identifier=identifier, role=role, invited_by=by)


# Services ---------------------------------------------------------------------------------


def test_inviting_writes_an_invitation_and_no_membership(team, alice, bob):
    _invite(team, "BOB", by=alice)
    invitation = Invitation.objects.get(team=team, invitee=bob)
    assert (invitation.status, invitation.role, invitation.invited_by) == (
        "pending",
        "member",
        alice,
    )
    assert not Membership.objects.filter(team=team, user=bob).exists()


def test_inviting_by_email_finds_the_person(team, alice, bob):
    _invite(team, "bob@example.com", by=alice, role="owner")
    assert Invitation.objects.get(team=team, invitee=bob).role == "owner"


def test_accepting_makes_the_invitee_a_member_with_the_invited_role(team, alice, bob):
    _invite(team, "bob", by=alice, role="owner")
    invitation = Invitation.objects.get(invitee=bob)
    membership = services.invitation_accept(invitation=invitation, accepted_by=bob)
    assert (membership.team, membership.user, membership.role) == (team, bob, "owner")
    invitation.refresh_from_db()
    assert invitation.status == "accepted" and invitation.answered_at is not None


def test_declining_leaves_the_invitee_out(team, alice, bob):
    _invite(team, "bob", by=alice)
    invitation = Invitation.objects.get(invitee=bob)
    services.invitation_decline(invitation=invitation, declined_by=bob)
    assert Invitation.objects.get(pk=invitation.pk).status == "declined"
    assert not Membership.objects.filter(team=team, user=bob).exists()


def test_only_the_invitee_can_accept(team, alice, bob, outsider):
    _invite(team, "bob", by=alice)
    invitation = Invitation.objects.get(invitee=bob)
    for someone in (outsider, alice):
        with pytest.raises(Http404):
            services.invitation_accept(invitation=invitation, accepted_by=someone)
    assert not Membership.objects.filter(team=team, user__in=[bob, outsider]).exists()


def test_an_answered_invitation_cannot_be_answered_again(team, alice, bob):
    _invite(team, "bob", by=alice)
    invitation = Invitation.objects.get(invitee=bob)
    services.invitation_decline(invitation=invitation, declined_by=bob)
    with pytest.raises(ValidationError):
        services.invitation_accept(invitation=invitation, accepted_by=bob)
    assert not Membership.objects.filter(team=team, user=bob).exists()


def test_inviting_someone_already_invited_adds_nothing(team, alice, bob):
    _invite(team, "bob", by=alice)
    _invite(team, "bob@example.com", by=alice, role="owner")
    assert list(Invitation.objects.values_list("role", flat=True)) == ["member"]
    assert len(mail.outbox) == 1


def test_inviting_a_member_or_nobody_writes_nothing_and_raises_nothing(team, alice, member):
    UserFactory(username="gone", is_active=False)
    for identifier in ("member", "alice", "nobody", "nobody@example.com", "gone"):
        _invite(team, identifier, by=alice)
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_someone_who_declined_can_be_invited_again(team, alice, bob):
    _invite(team, "bob", by=alice)
    invitation = Invitation.objects.get(invitee=bob)
    services.invitation_decline(invitation=invitation, declined_by=bob)
    _invite(team, "bob", by=alice)
    assert Invitation.objects.filter(invitee=bob, status="pending").count() == 1


def test_a_member_cannot_invite(team, member, bob):
    with pytest.raises(PermissionError):
        _invite(team, "bob", by=member)
    assert not Invitation.objects.exists()


def test_an_unknown_role_is_refused(team, alice, bob):
    with pytest.raises(ValidationError) as caught:
        _invite(team, "bob", by=alice, role="admin")
    assert "role" in caught.value.message_dict
    assert not Invitation.objects.exists()


def test_the_invitee_is_emailed_once_with_the_team_and_a_link(team, alice, bob):
    _invite(team, "bob", by=alice)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["bob@example.com"]
    assert "alice invited you to Platform" in message.subject
    assert reverse("teams:invitations") in message.body
    invitation = Invitation.objects.get(invitee=bob)
    assert invitation.emailed_at is not None
    assert services.invitation_email_send(invitation_id=invitation.pk) == "skipped"
    assert len(mail.outbox) == 1


def test_someone_without_an_address_is_invited_without_an_email(team, alice):
    UserFactory(username="quiet", email="")
    _invite(team, "quiet", by=alice)
    assert Invitation.objects.filter(invitee__username="quiet").exists()
    assert mail.outbox == []


def test_invitations_are_limited_per_inviter_per_hour(settings, team, alice):
    settings.CRIT_INVITATIONS_PER_HOUR = 3
    for n in range(3):
        _invite(team, f"nobody{n}", by=alice)
    with pytest.raises(services.InvitationRateLimited) as caught:
        _invite(team, "bob", by=alice)
    assert 3000 < caught.value.retry_after <= 3600
    assert "at most 3 invitations an hour" in caught.value.message_dict["user"][0]


def test_pending_list_shows_only_my_pending_invitations(team, alice, bob, outsider):
    _invite(team, "bob", by=alice)
    other = TeamFactory(name="Other", created_by=alice)
    _invite(other, "bob", by=alice)
    _invite(team, "mallory", by=alice)
    services.invitation_decline(
        invitation=Invitation.objects.get(team=other, invitee=bob), declined_by=bob
    )
    assert [i.team for i in selectors.invitation_list_pending(fetched_by=bob)] == [team]


# Team lists -------------------------------------------------------------------------------


def test_team_list_counts_every_member_of_a_team_of_3(team, alice, member):
    MembershipFactory(team=team, user=UserFactory(username="third"))
    TeamFactory(name="Solo", created_by=alice)
    counts = {t.name: t.member_count for t in selectors.team_list(fetched_by=member)}
    assert counts == {"Platform": 3}
    counts = {t.name: t.member_count for t in selectors.team_list(fetched_by=alice)}
    assert counts == {"Platform": 3, "Solo": 1}


# Pages ------------------------------------------------------------------------------------


def test_invite_page_answers_the_same_for_someone_and_no_one(client, alice, team, bob):
    client.force_login(alice)
    url = reverse("teams:invite", args=[team.pk])
    answers = []
    for identifier in ("bob", "nobody", "bob@example.com", "nobody@example.com", "alice"):
        response = client.post(url, {"identifier": identifier, "role": "member"}, **HTMX)
        html = CSRF_TOKEN.sub("", response.content.decode())  # masked anew on every response
        answers.append((response.status_code, html))
    assert len(set(answers)) == 1, "the answer tells who has an account"
    status, html = answers[0]
    assert status == 200
    assert services.INVITATION_SENT in html
    assert "bob" not in html
    assert Invitation.objects.filter(invitee=bob).count() == 1


def test_invite_page_without_htmx_sends_back_to_the_team(client, alice, team, bob):
    client.force_login(alice)
    response = client.post(
        reverse("teams:invite", args=[team.pk]), {"identifier": "bob", "role": "member"}
    )
    assert response.status_code == 302
    assert response["Location"] == team.get_absolute_url()
    assert not Membership.objects.filter(team=team, user=bob).exists()


def test_invite_page_over_the_limit_is_429_with_retry_after(settings, client, alice, team):
    settings.CRIT_INVITATIONS_PER_HOUR = 1
    client.force_login(alice)
    url = reverse("teams:invite", args=[team.pk])
    client.post(url, {"identifier": "nobody", "role": "member"}, **HTMX)
    response = client.post(url, {"identifier": "bob", "role": "member"}, **HTMX)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert b"at most 1 invitations an hour" in response.content


def test_a_member_gets_403_when_inviting(client, team, member, bob):
    client.force_login(member)
    response = client.post(
        reverse("teams:invite", args=[team.pk]), {"identifier": "bob", "role": "member"}
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_outsider_gets_404_when_inviting(client, team, outsider, bob):
    client.force_login(outsider)
    response = client.post(
        reverse("teams:invite", args=[team.pk]), {"identifier": "bob", "role": "member"}
    )
    assert response.status_code == 404
    assert not Invitation.objects.exists()


def test_team_page_shows_no_email_of_anyone(client, alice, team, member):
    client.force_login(member)
    html = client.get(team.get_absolute_url()).content.decode()
    assert "member" in html and "alice" in html
    assert "@example.com" not in html


def test_invitee_sees_accepts_and_lands_on_the_team(client, alice, team, bob):
    _invite(team, "bob", by=alice, role="owner")
    invitation = Invitation.objects.get(invitee=bob)
    client.force_login(bob)
    html = client.get(reverse("teams:invitations")).content.decode()
    assert "Platform" in html and reverse("teams:invitation_accept", args=[invitation.pk]) in html
    response = client.post(reverse("teams:invitation_accept", args=[invitation.pk]))
    assert response.status_code == 302
    assert response["Location"] == team.get_absolute_url()
    assert Membership.objects.get(team=team, user=bob).role == "owner"


def test_invitee_declines_and_the_list_empties(client, alice, team, bob):
    _invite(team, "bob", by=alice)
    invitation = Invitation.objects.get(invitee=bob)
    client.force_login(bob)
    response = client.post(reverse("teams:invitation_decline", args=[invitation.pk]))
    assert response.status_code == 302
    accept = reverse("teams:invitation_accept", args=[invitation.pk])
    assert accept not in client.get(reverse("teams:invitations")).content.decode()
    assert not Membership.objects.filter(team=team, user=bob).exists()


def test_answering_twice_is_400_with_a_message(client, alice, team, bob):
    _invite(team, "bob", by=alice)
    invitation = Invitation.objects.get(invitee=bob)
    client.force_login(bob)
    client.post(reverse("teams:invitation_decline", args=[invitation.pk]))
    response = client.post(reverse("teams:invitation_accept", args=[invitation.pk]))
    assert response.status_code == 400
    assert b"already declined" in response.content


def test_the_inviter_gets_404_on_the_invitees_accept(client, alice, team, bob):
    _invite(team, "bob", by=alice)
    invitation = Invitation.objects.get(invitee=bob)
    client.force_login(alice)
    response = client.post(reverse("teams:invitation_accept", args=[invitation.pk]))
    assert response.status_code == 404
    assert not Membership.objects.filter(team=team, user=bob).exists()


def test_accepting_refuses_get(client, alice, team, bob):
    _invite(team, "bob", by=alice)
    invitation = Invitation.objects.get(invitee=bob)
    client.force_login(bob)
    response = client.get(reverse("teams:invitation_accept", args=[invitation.pk]))
    assert response.status_code == 405
    assert not Membership.objects.filter(team=team, user=bob).exists()


def test_the_dashboard_shows_a_new_invitation_at_once(client, alice, team, bob):
    client.force_login(bob)
    assert "dashboard-invitations" not in client.get("/").content.decode()  # now cached
    _invite(team, "bob", by=alice)
    invitation = Invitation.objects.get(invitee=bob)
    html = client.get("/").content.decode()
    assert "dashboard-invitations" in html
    assert reverse("teams:invitation_accept", args=[invitation.pk]) in html
    services.invitation_decline(invitation=invitation, declined_by=bob)
    assert "dashboard-invitations" not in client.get("/").content.decode()


def test_the_top_bar_links_to_invitations(client, bob):
    client.force_login(bob)
    assert f'href="{reverse("teams:invitations")}"' in client.get("/").content.decode()


def test_the_last_owner_stepping_down_on_the_page_is_400_with_a_message(client, alice, team):
    client.force_login(alice)
    response = client.post(
        reverse("teams:member_role", args=[team.pk, alice.pk]), {"role": "member"}, **HTMX
    )
    assert response.status_code == 400
    assert b"at least one owner" in response.content
    assert Membership.objects.get(team=team, user=alice).role == "owner"


def test_an_owner_promotes_a_member_on_the_page(client, alice, team, member):
    client.force_login(alice)
    response = client.post(
        reverse("teams:member_role", args=[team.pk, member.pk]), {"role": "owner"}
    )
    assert response.status_code == 302
    assert Membership.objects.get(team=team, user=member).role == "owner"


def test_a_member_gets_403_when_changing_roles(client, team, member):
    client.force_login(member)
    response = client.post(
        reverse("teams:member_role", args=[team.pk, member.pk]), {"role": "owner"}
    )
    assert response.status_code == 403
    assert Membership.objects.get(team=team, user=member).role == "member"


def test_a_role_for_someone_outside_the_team_is_404(client, alice, team, bob):
    client.force_login(alice)
    response = client.post(reverse("teams:member_role", args=[team.pk, bob.pk]), {"role": "owner"})
    assert response.status_code == 404
    assert not Membership.objects.filter(user=bob).exists()


def test_an_unverified_address_gets_no_invitation_email(team, alice):
    # Anyone can type someone else's address at sign-up: until it is confirmed, Crit mails
    # nothing to it on the account's behalf.
    UserFactory(username="claimed", email="jane.doe@example.com", email_verified=False)
    _invite(team, "claimed", by=alice)
    assert Invitation.objects.filter(invitee__username="claimed").exists()
    assert mail.outbox == []


def test_the_invitation_subject_is_one_line_whatever_the_team_name(alice, bob):
    team = TeamFactory(name="Ops\r\nBcc: victim@example.com", created_by=alice)
    _invite(team, "bob", by=alice)
    assert len(mail.outbox) == 1
    assert "\n" not in mail.outbox[0].subject and "\r" not in mail.outbox[0].subject
    assert "Ops Bcc: victim@example.com" in mail.outbox[0].subject
