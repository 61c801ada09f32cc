"""Password reset by mail: the same page and message whether or not the address is known,
a link that works once, limits per network address and per email address."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "A-brand-new-pass-77"


@pytest.fixture(autouse=True)
def _fast_hashes(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _ask(email: str, address: str = "203.0.113.7", client: Client | None = None):
    return (client or Client()).post(
        reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR=address
    )


def _reset_path() -> str:
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    return re.sub(r"^https?://[^/]+", "", link)


def test_sign_in_page_links_to_the_reset_page(client, db):
    response = client.get(reverse("accounts:login"))
    assert reverse("accounts:password_reset").encode() in response.content
    assert b"Forgot your password?" in response.content


def test_known_and_unknown_addresses_get_the_same_answer(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        known = _ask("ALICE@example.com")
        unknown = _ask("nobody@example.com")

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known["Location"] == reverse("accounts:password_reset_done")
    page = Client().get(known["Location"])
    assert b"If an account uses that address" in page.content
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_a_reset_link_sets_the_password_once_and_lifts_a_lockout(
    alice, settings, django_capture_on_commit_callbacks
):
    settings.CRIT_SIGNIN_FAILURES_PER_ACCOUNT = 2
    for _ in range(2):
        Client().post(reverse("accounts:login"), {"username": "alice", "password": "wrong"})
    with django_capture_on_commit_callbacks(execute=True):
        _ask("alice@example.com")
    client = Client()
    form_page = client.get(_reset_path(), follow=True)
    assert b"Set a new password" in form_page.content

    done = client.post(
        form_page.request["PATH_INFO"],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:password_reset_complete")
    signed_in = Client().post(
        reverse("accounts:login"), {"username": "alice", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302
    again = Client().get(_reset_path(), follow=True)
    assert b"This link no longer works" in again.content


def test_reset_mail_goes_only_to_the_verified_owner_of_an_address(
    django_capture_on_commit_callbacks,
):
    UserFactory(username="jane", email="jane@example.com", email_verified=True)
    UserFactory(username="squatter", email="jane@example.com", email_verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        _ask("jane@example.com")
    assert len(mail.outbox) == 1
    assert '"jane"' in mail.outbox[0].body


def test_reset_requests_are_limited_per_network_address(settings):
    settings.CRIT_RESETS_PER_ADDRESS = 2
    assert _ask("a@example.com", "198.51.100.1").status_code == 302
    assert _ask("b@example.com", "198.51.100.1").status_code == 302
    response = _ask("c@example.com", "198.51.100.1")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert b"Too many reset requests" in response.content
    assert _ask("c@example.com", "198.51.100.2").status_code == 302


def test_reset_requests_are_limited_per_email_address_known_or_not(
    alice, settings, django_capture_on_commit_callbacks
):
    settings.CRIT_RESETS_PER_EMAIL = 1
    with django_capture_on_commit_callbacks(execute=True):
        assert _ask("alice@example.com", "198.51.100.1").status_code == 302
        assert _ask("Alice@example.com", "198.51.100.2").status_code == 429
        assert _ask("nobody@example.com", "198.51.100.3").status_code == 302
        assert _ask("nobody@example.com", "198.51.100.4").status_code == 429
    assert len(mail.outbox) == 1
