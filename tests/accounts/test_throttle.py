"""Repeated failed sign-ins are throttled per account and per address, with a clear message,
429 and Retry-After, and the lockout ends with its window. Every way of checking a password
shares the one lockout: the sign-in page, the admin's sign-in, the password-change form and
anything else that calls ``authenticate()``; it holds while the cache is down."""

import logging
import time

import pytest
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.factories import UserFactory

PASSWORD = "pw-for-tests-1"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.CRIT_SIGNIN_FAILURES_PER_ACCOUNT = 3
    settings.CRIT_SIGNIN_FAILURES_PER_ADDRESS = 5
    settings.CRIT_SIGNIN_LOCKOUT_SECONDS = 600
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


def _attempt(username: str, password: str, address: str = "203.0.113.7"):
    return Client(REMOTE_ADDR=address).post(
        reverse("accounts:login"), {"username": username, "password": password}
    )


def _fail(times: int, username: str = "alice", address: str = "203.0.113.7") -> None:
    for _ in range(times):
        response = _attempt(username, "wrong-password", address)
        assert response.status_code == 200


def test_failed_sign_ins_below_the_limit_show_the_usual_error(alice):
    response = _attempt("alice", "wrong-password")
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_account_is_locked_after_repeated_failures_even_with_the_right_password(alice):
    _fail(3)

    response = _attempt("alice", PASSWORD)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert b"Too many failed sign-ins for this account" in response.content
    assert b"try again in 10 minutes" in response.content
    assert "sessionid" not in response.cookies


def test_account_lockout_holds_from_every_address(alice):
    _fail(1, address="198.51.100.1")
    _fail(1, address="198.51.100.2")
    _fail(1, address="198.51.100.3")

    assert _attempt("alice", PASSWORD, address="192.0.2.200").status_code == 429


def test_account_lockout_ignores_the_case_of_the_username(alice):
    _fail(3, username="ALICE")
    assert _attempt("alice", PASSWORD).status_code == 429


def test_other_accounts_are_not_locked_by_someone_elses_failures(alice):
    UserFactory(username="bob")
    _fail(3, username="alice", address="198.51.100.1")
    assert _attempt("bob", PASSWORD, address="198.51.100.2").status_code == 302


def test_address_is_locked_after_failures_across_many_accounts(alice):
    for name in ["ann", "ben", "cat", "dan", "eve"]:
        _fail(1, username=name, address="203.0.113.9")

    response = _attempt("alice", PASSWORD, address="203.0.113.9")

    assert response.status_code == 429
    assert b"Too many failed sign-ins from your network" in response.content
    assert _attempt("alice", PASSWORD, address="203.0.113.10").status_code == 302


def test_a_successful_sign_in_clears_the_accounts_count(alice):
    _fail(2)
    assert _attempt("alice", PASSWORD).status_code == 302
    _fail(2)
    assert _attempt("alice", PASSWORD).status_code == 302


def test_lockout_ends_when_its_window_ends(alice, settings):
    settings.CRIT_SIGNIN_LOCKOUT_SECONDS = 3
    _fail(3)
    assert _attempt("alice", PASSWORD).status_code == 429

    time.sleep(3.5)

    assert _attempt("alice", PASSWORD).status_code == 302


def test_lockout_holds_with_the_cache_unreachable(alice, monkeypatch):
    from config import ratelimit

    class Down:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("cache down")

            return fail

    monkeypatch.setattr(ratelimit, "cache", Down())
    _fail(3)
    assert _attempt("alice", PASSWORD).status_code == 429


def test_lockout_holds_with_redis_unreachable(alice, settings):
    """The cache pointed at a port where no Redis listens: the counts live in PostgreSQL."""
    from tests.faults.conftest import free_port

    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.DegradingRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    _fail(3)
    response = _attempt("alice", PASSWORD)
    assert response.status_code == 429
    assert "sessionid" not in response.cookies


# The admin's sign-in ------------------------------------------------------------------------


@pytest.fixture
def staff(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def _admin_attempt(username: str, password: str, address: str = "203.0.113.7"):
    return Client(REMOTE_ADDR=address).post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}
    )


def test_admin_sign_in_is_locked_out_after_forty_wrong_passwords_and_logged(staff, caplog):
    for _ in range(40):
        assert _admin_attempt("root", "wrong-password").status_code in (200, 429)

    with caplog.at_level(logging.INFO, logger="accounts.throttle"):
        response = _admin_attempt("root", PASSWORD)

    assert response.status_code == 429
    assert "sessionid" not in response.cookies
    assert b"Too many failed sign-ins for this account" in response.content
    assert any("refused during a lockout" in r.getMessage() for r in caplog.records)


def test_the_start_of_a_lockout_is_logged_as_a_warning(staff, caplog):
    with caplog.at_level(logging.WARNING, logger="accounts.throttle"):
        for _ in range(3):
            _admin_attempt("root", "wrong-password")
    locked = [r for r in caplog.records if "locked out for account" in r.getMessage()]
    assert len(locked) == 1
    assert locked[0].levelno == logging.WARNING
    assert "'root'" in locked[0].getMessage()


def test_admin_sign_in_with_the_right_password_below_the_limit_works(staff):
    _admin_attempt("root", "wrong-password")
    response = _admin_attempt("root", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_admin_failures_lock_the_sign_in_page_too(staff):
    for _ in range(3):
        _admin_attempt("root", "wrong-password", address="198.51.100.1")
    assert _attempt("root", PASSWORD, address="198.51.100.2").status_code == 429


def test_sign_in_page_failures_lock_the_admin_too(staff):
    _fail(3, username="root")
    assert _admin_attempt("root", PASSWORD, address="198.51.100.2").status_code == 429


def test_admin_failures_count_towards_the_address_lockout(staff):
    for name in ["ann", "ben", "cat", "dan", "eve"]:
        _admin_attempt(name, "wrong-password", address="203.0.113.9")
    assert _admin_attempt("root", PASSWORD, address="203.0.113.9").status_code == 429


# The password-change form and authenticate() ------------------------------------------------


def _change_password(client: Client, old: str):
    return client.post(
        reverse("accounts:password_change"),
        {"old_password": old, "new_password1": "A-new-pass-981", "new_password2": "A-new-pass-981"},
        REMOTE_ADDR="203.0.113.7",
    )


def test_wrong_current_passwords_on_the_password_change_form_lock_the_account(alice):
    client = Client()
    client.force_login(alice)
    for _ in range(3):
        assert _change_password(client, "wrong-password").status_code == 200

    response = _change_password(client, PASSWORD)

    assert response.status_code == 429
    assert b"Too many failed sign-ins for this account" in response.content
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert _attempt("alice", PASSWORD, address="192.0.2.200").status_code == 429


def test_sign_in_failures_lock_the_password_change_form(alice):
    client = Client()
    client.force_login(alice)
    _fail(3)
    assert _change_password(client, PASSWORD).status_code == 429
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_the_password_change_form_with_the_right_password_still_works(alice):
    client = Client()
    client.force_login(alice)
    _change_password(client, "wrong-password")
    assert _change_password(client, PASSWORD).status_code == 302


def test_every_caller_of_authenticate_shares_the_lockout(alice):
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        assert authenticate(request, username="alice", password="wrong-password") is None

    assert authenticate(request, username="alice", password=PASSWORD) is None
    assert _attempt("alice", PASSWORD, address="192.0.2.200").status_code == 429
