"""The browser fixtures of the journeys (Chromium driven by Playwright), for the security
tests that load pages."""

import pytest

from tests.e2e.conftest import browser, page, sign_in  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Many users are made here; real hashing would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
