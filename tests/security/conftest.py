"""Security tests make many users; the browser fixtures come from tests/conftest.py."""

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Many users are made here; real hashing would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
