import pytest

from tests.factories import UserFactory, request_review


@pytest.fixture
def carol(db):
    return UserFactory(username="carol")


@pytest.fixture
def reviewed(design, alice, bob):
    """``design`` with a review requested from bob by alice."""
    request_review(design=design, reviewer=bob, requested_by=alice)
    design.refresh_from_db()
    return design


def section_of(design, position: int = 1):
    return design.sections.select_related("design").get(position=position)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Users are created in almost every test here; real hashing would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
