"""Repeated failed sign-ins are throttled per account and per address, with a clear message,
429 and Retry-After, and the lockout ends with its window."""

import time

import pytest
from django.test import Client
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


def test_with_the_cache_unreachable_sign_in_still_works(alice, monkeypatch):
    from config import ratelimit

    class Down:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("cache down")

            return fail

    monkeypatch.setattr(ratelimit, "cache", Down())
    _fail(5)
    assert _attempt("alice", PASSWORD).status_code == 302
