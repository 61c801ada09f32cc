"""Proving who someone is: email addresses are verified by a signed link before they find
anyone, compared ignoring case; sign-up answers the same whether or not an address is known
and is rate limited; usernames are plain ASCII so none can pass for another."""

import io
import re

import pytest
from django.core import mail
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from accounts import selectors, services
from accounts.models import Invitation, Membership, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"
SIGNUP_PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _fast_hashes(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _link(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def _path(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


# Addresses: normalised, found only when verified --------------------------------------------


def test_emails_are_stored_lowercased():
    user = services.user_create(username="erin", email=" Erin@Example.COM ", password=PASSWORD)
    user.refresh_from_db()
    assert user.email == "erin@example.com"
    assert user.email_verified is False


def test_an_unverified_email_finds_nobody():
    UserFactory(username="jane", email="jane.doe@example.com", email_verified=False)
    assert selectors.user_find("jane.doe@example.com") is None
    assert selectors.user_find("jane").username == "jane"


def test_a_verified_email_finds_its_owner_in_any_case():
    jane = UserFactory(username="jane", email="jane.doe@example.com", email_verified=True)
    assert selectors.user_find("JANE.Doe@Example.com ") == jane


def test_someone_elses_address_given_at_sign_up_gets_no_team_invitation(alice, team):
    mallory2 = services.user_create(
        username="mallory2", email="jane.doe@example.com", password=PASSWORD
    )
    services.team_invite(team=team, identifier="jane.doe@example.com", invited_by=alice)
    assert not Invitation.objects.filter(team=team, invitee=mallory2).exists()
    assert not Membership.objects.filter(team=team, user=mallory2).exists()


def test_a_verified_address_gets_its_owner_invited(alice, team):
    jane = UserFactory(username="jane", email="jane.doe@example.com", email_verified=True)
    services.team_invite(team=team, identifier="Jane.Doe@example.com", invited_by=alice)
    assert Invitation.objects.filter(team=team, invitee=jane).exists()


def test_someone_elses_address_given_at_sign_up_cannot_be_asked_for_a_review(client, design):
    services.user_create(username="mallory2", email="jane.doe@example.com", password=PASSWORD)
    client.force_login(design.created_by)
    response = client.post(
        reverse("reviews:request", args=[design.pk]),
        {"reviewer": "jane.doe@example.com", "message": "Please look."},
    )
    assert response.status_code in (302, 400, 404)
    assert not design.review_requests.filter(reviewer__username="mallory2").exists()


def test_two_accounts_may_give_one_unverified_address_but_only_one_may_verify_it():
    first = services.user_create(username="one", email="shared@example.com", password=PASSWORD)
    second = services.user_create(username="two", email="SHARED@example.com", password=PASSWORD)
    services.user_email_verify(token=selectors.email_verification_token(first))

    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="already confirmed"):
        services.user_email_verify(token=selectors.email_verification_token(second))
    second.refresh_from_db()
    assert second.email_verified is False


def test_the_database_refuses_a_second_verified_holder_of_an_address():
    UserFactory(username="one", email="x@example.com", email_verified=True)
    with pytest.raises(IntegrityError):
        User.objects.create(username="two", email="X@EXAMPLE.COM", email_verified=True)


def test_seeded_demo_users_count_as_verified():
    from django.core.management import call_command

    call_command("seed_demo", force=True, stdout=io.StringIO())
    for name in ("alice", "bob", "carol"):
        assert selectors.user_find(f"{name}@example.com").username == name


# Verification links -----------------------------------------------------------------------


def test_sign_up_mails_a_link_that_confirms_the_address(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:signup"),
            {
                "username": "jane",
                "email": "Jane.Doe@example.com",
                "password1": SIGNUP_PASSWORD,
                "password2": SIGNUP_PASSWORD,
            },
        )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["jane.doe@example.com"]]
    path = _path(_link(mail.outbox[0]))
    assert selectors.user_find("jane.doe@example.com") is None

    page = client.get(path)
    assert page.status_code == 200
    assert b"Confirm my address" in page.content
    assert selectors.user_find("jane.doe@example.com") is None  # no change on GET

    confirmed = client.post(path)
    assert confirmed.status_code == 302
    assert selectors.user_find("jane.doe@example.com").username == "jane"


def test_a_forged_verification_link_is_refused(client):
    jane = UserFactory(username="jane", email="jane@example.com", email_verified=False)
    token = selectors.email_verification_token(jane)
    response = client.post(reverse("accounts:email_verify", args=[token[:-3] + "abc"]))
    assert response.status_code == 400
    assert b"not valid" in response.content
    jane.refresh_from_db()
    assert jane.email_verified is False


def test_an_expired_verification_link_is_refused(client, settings):
    jane = UserFactory(username="jane", email="jane@example.com", email_verified=False)
    token = selectors.email_verification_token(jane)
    settings.CRIT_EMAIL_VERIFY_MAX_AGE = -1
    response = client.post(reverse("accounts:email_verify", args=[token]))
    assert response.status_code == 400
    assert b"expired" in response.content
    jane.refresh_from_db()
    assert jane.email_verified is False


def test_a_link_for_an_address_the_account_no_longer_has_is_refused(client):
    jane = UserFactory(username="jane", email="jane@example.com", email_verified=False)
    token = selectors.email_verification_token(jane)
    jane.email = "other@example.com"
    jane.save()
    response = client.post(reverse("accounts:email_verify", args=[token]))
    assert response.status_code == 400
    jane.refresh_from_db()
    assert jane.email_verified is False


def test_pages_say_the_address_is_unverified_and_a_new_link_can_be_mailed(
    client, django_capture_on_commit_callbacks
):
    jane = UserFactory(username="jane", email="jane@example.com", email_verified=False)
    client.force_login(jane)
    assert b"is not confirmed yet" in client.get(reverse("designs:dashboard")).content
    page = client.get(reverse("accounts:email"))
    assert b'data-email-status="unverified"' in page.content

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:email"))

    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["jane@example.com"]]
    assert client.post(_path(_link(mail.outbox[0]))).status_code == 302
    assert b"is not confirmed yet" not in client.get(reverse("designs:dashboard")).content


def test_mailing_new_links_is_rate_limited(client, settings):
    settings.CRIT_VERIFICATION_MAILS_PER_HOUR = 2
    jane = UserFactory(username="jane", email="jane@example.com", email_verified=False)
    client.force_login(jane)
    assert client.post(reverse("accounts:email")).status_code == 302
    assert client.post(reverse("accounts:email")).status_code == 302
    response = client.post(reverse("accounts:email"))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


# Sign-up answers the same whether or not an address is known ----------------------------------


def _sign_up(client, username: str, email: str, address: str = "203.0.113.7"):
    return client.post(
        reverse("accounts:signup"),
        {
            "username": username,
            "email": email,
            "password1": SIGNUP_PASSWORD,
            "password2": SIGNUP_PASSWORD,
        },
        REMOTE_ADDR=address,
    )


def _answer(response, client) -> tuple:
    followed = client.get(response["Location"])
    text = re.sub(r"jane\.doe@example\.com|frank@example\.com", "EMAIL", followed.content.decode())
    text = re.sub(r"erin|frank", "NAME", text)
    text = re.sub(r"csrfmiddlewaretoken\" value=\"[^\"]+\"|x-csrftoken\": \"[^\"]+\"", "", text)
    text = re.sub(r'nonce="[^"]+"', "", text)
    text = re.sub(r"/teams/\d+/", "/teams/N/", text)
    return response.status_code, response["Location"], "sessionid" in response.cookies, text


def test_sign_up_with_a_taken_email_answers_the_same_as_with_a_new_one(
    django_capture_on_commit_callbacks,
):
    UserFactory(username="jane", email="jane.doe@example.com", email_verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        taken_client, new_client = Client(), Client()
        taken = _answer(_sign_up(taken_client, "erin", "JANE.DOE@example.com"), taken_client)
        new = _answer(_sign_up(new_client, "frank", "frank@example.com"), new_client)

    assert taken == new
    assert "Please enter" not in taken[3] and "already exists" not in taken[3]
    # Both accounts exist with hashed passwords; only the new address gets a link, the owner
    # of the taken one is told someone tried.
    assert User.objects.get(username="erin").check_password(SIGNUP_PASSWORD)
    assert User.objects.get(username="frank").check_password(SIGNUP_PASSWORD)
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert "Someone tried to sign up" in subjects["jane.doe@example.com"]
    assert "Confirm your email" in subjects["frank@example.com"]
    owner_mail = next(m for m in mail.outbox if m.to == ["jane.doe@example.com"])
    assert "/email/verify/" not in owner_mail.body
    assert selectors.user_find("jane.doe@example.com").username == "jane"


def test_sign_ups_are_rate_limited_per_address(client, settings):
    settings.CRIT_SIGNUPS_PER_ADDRESS = 2
    assert _sign_up(Client(), "one", "", address="198.51.100.4").status_code == 302
    assert _sign_up(Client(), "two", "", address="198.51.100.4").status_code == 302

    response = _sign_up(Client(), "three", "", address="198.51.100.4")

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert b"Too many sign-ups" in response.content
    assert not User.objects.filter(username="three").exists()
    assert _sign_up(Client(), "four", "", address="198.51.100.5").status_code == 302


def test_sign_ups_are_rate_limited_per_email_address(settings):
    settings.CRIT_SIGNUPS_PER_EMAIL = 1
    assert _sign_up(Client(), "one", "x@example.com", address="198.51.100.4").status_code == 302
    response = _sign_up(Client(), "two", "X@example.com", address="198.51.100.5")
    assert response.status_code == 429
    assert not User.objects.filter(username="two").exists()


# Usernames ------------------------------------------------------------------------------------


def test_a_look_alike_username_with_a_cyrillic_letter_is_refused(client, alice):
    response = _sign_up(client, "\u0430lice", "")  # a Cyrillic "a" first
    assert response.status_code == 400
    assert b"ASCII letters" in response.content
    assert User.objects.count() == 1


def test_the_service_refuses_non_ascii_usernames_too():
    from django.core.exceptions import ValidationError

    for name in ["\u0430lice", "jos\u00e9", "b\u043eb", "ali ce", "al@ce"]:
        with pytest.raises(ValidationError):
            services.user_create(username=name, password=PASSWORD)
    assert not User.objects.exists()


def test_full_width_letters_are_normalised_and_then_taken(client, alice):
    response = _sign_up(
        client, "\uff41\uff4c\uff49\uff43\uff45", ""
    )  # "alice" in full-width letters
    assert response.status_code == 400
    assert b"That username is taken." in response.content


def test_a_plain_ascii_username_with_dots_and_dashes_is_accepted(client):
    assert _sign_up(client, "Jane.Doe-2_x", "").status_code == 302
    assert User.objects.filter(username="Jane.Doe-2_x").exists()
