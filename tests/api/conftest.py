import pytest
from django.test import Client

from designs import services as design_services
from tests.factories import MembershipFactory, TeamFactory, UserFactory, make_api_token


class ApiClient(Client):
    """A test client speaking JSON with a bearer token."""

    def __init__(self, secret: str | None = None, **defaults):
        if secret is not None:
            defaults["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        super().__init__(**defaults)

    def post_json(self, path: str, data=None, **extra):
        return self.post(path, data if data is not None else {}, "application/json", **extra)

    def patch_json(self, path: str, data=None, **extra):
        return self.patch(path, data if data is not None else {}, "application/json", **extra)


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings):
    """Users here sign in with tokens; hashing their passwords slowly only costs time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api_for(db):
    """api_for(user) -> a JSON client authenticated with a fresh token of ``user``."""

    def make(user) -> ApiClient:
        return ApiClient(make_api_token(user=user))

    return make


@pytest.fixture
def reviewer(design):
    """Someone outside the team who was asked to review ``design`` (may read, not edit)."""
    user = UserFactory(username="rita")
    design_services.design_reader_grant(design=design, user=user)
    return user


@pytest.fixture
def other_team_user(db):
    """A member of another team, with designs of their own."""
    user = UserFactory(username="oscar")
    TeamFactory(name="Other team", created_by=user)
    return user


@pytest.fixture
def owner_client(api_for, alice):
    return api_for(alice)


@pytest.fixture
def member_client(api_for, member):
    return api_for(member)


@pytest.fixture
def member_role(team):
    """Make a plain member (not owner) of ``team``."""

    def make(username: str):
        return MembershipFactory(team=team, user=UserFactory(username=username)).user

    return make


@pytest.fixture
def unlimited_writes(settings):
    """For tests that write far more than a person would in a minute."""
    settings.CRIT_API_WRITES_PER_MINUTE = 1_000_000
