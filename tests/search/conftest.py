import pytest

from designs import services as design_services
from tests.api.conftest import ApiClient
from tests.factories import add_comment, make_api_token, make_design


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def write(design, position: int, body: str):
    """``body`` saved into the section at ``position`` through the service."""
    section = design.sections.get(position=position)
    return design_services.section_update(
        section=section, body=body, base_version=section.version, edited_by=design.created_by
    )


@pytest.fixture
def write_section():
    return write


@pytest.fixture
def comment_on():
    def make(design, position: int, author, body: str):
        return add_comment(section=design.sections.get(position=position), author=author, body=body)

    return make


@pytest.fixture
def new_design(team, alice):
    def make(title: str, summary: str = "", **kwargs):
        return make_design(team=team, author=alice, title=title, summary=summary, **kwargs)

    return make


@pytest.fixture
def api_for(db):
    """api_for(user) -> a JSON client authenticated with a fresh token of ``user``."""

    def make(user) -> ApiClient:
        return ApiClient(make_api_token(user=user))

    return make
