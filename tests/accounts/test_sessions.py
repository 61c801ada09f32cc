"""Sessions: a new key at sign-in, sign-out ends the session on the server, and a password
change ends the user's other sessions."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

PASSWORD = "pw-for-tests-1"
NEW_PASSWORD = "a-new-Passphrase-42"

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


def _sign_in(client: Client, username: str = "alice", password: str = PASSWORD) -> str:
    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    assert response.status_code == 302, response.content[:400]
    return client.cookies["sessionid"].value


def _signed_in(client: Client) -> bool:
    return client.get(reverse("designs:dashboard")).status_code == 200


def test_session_key_changes_at_sign_in(client, alice):
    session = client.session
    session["theme"] = "dark"
    session.save()
    client.cookies["sessionid"] = session.session_key
    before = session.session_key

    after = _sign_in(client)

    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.filter(session_key=after).exists()


def test_a_session_key_planted_before_sign_in_is_not_signed_in_afterwards(client, alice):
    planted = client.session
    planted.save()
    client.cookies["sessionid"] = planted.session_key
    _sign_in(client)

    attacker = Client()
    attacker.cookies["sessionid"] = planted.session_key
    assert not _signed_in(attacker)


def test_sign_out_deletes_the_session_on_the_server(client, alice):
    key = _sign_in(client)
    assert _signed_in(client)

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()


def test_a_copied_session_cookie_stops_working_after_sign_out(client, alice):
    key = _sign_in(client)
    copy = Client()
    copy.cookies["sessionid"] = key
    assert _signed_in(copy)

    client.post(reverse("accounts:logout"))

    assert not _signed_in(copy)


def test_sign_out_by_get_is_refused_and_keeps_the_session(client, alice):
    key = _sign_in(client)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert Session.objects.filter(session_key=key).exists()
    assert _signed_in(client)


def test_password_change_ends_the_other_sessions_and_keeps_this_one(alice):
    laptop, phone = Client(), Client()
    _sign_in(laptop)
    phone_key = _sign_in(phone)
    assert _signed_in(phone)

    response = laptop.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert _signed_in(laptop)
    assert not _signed_in(phone)
    assert not Session.objects.filter(session_key=phone_key).exists()


def test_after_a_password_change_only_the_new_password_signs_in(alice):
    laptop = Client()
    _sign_in(laptop)
    laptop.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    old = Client().post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD})
    assert old.status_code == 200
    assert _sign_in(Client(), password=NEW_PASSWORD)


def test_password_change_by_the_service_ends_every_session(alice):
    from accounts.services import user_password_set

    browser = Client()
    _sign_in(browser)
    user_password_set(user=alice, password=NEW_PASSWORD)
    assert not _signed_in(browser)
