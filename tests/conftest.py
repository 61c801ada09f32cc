import uuid

import pytest

from config.celery import app as celery_app
from tests.browser import browser, page, sign_in  # noqa: F401 (browser fixtures)
from tests.factories import MembershipFactory, TeamFactory, UserFactory, make_design


@pytest.fixture(autouse=True)
def _tasks_run_in_process(request):
    """Tasks run eagerly in tests, except those marked ``worker`` that claim a real worker."""
    if request.node.get_closest_marker("worker"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test sees an empty cache. A key prefix of its own, rather than FLUSHDB, so the
    Redis database the Celery broker shares is left alone."""
    from django.core.cache import cache

    previous = cache.key_prefix
    cache.key_prefix = f"test-{uuid.uuid4().hex}"
    yield
    cache.key_prefix = previous


@pytest.fixture(autouse=True)
def django_db_serialized_rollback():
    """Every transactional test restores the migrated data (content types, the default
    template) afterwards. Mixing transactional tests with and without serialized rollback
    makes the later ones collide with content types recreated under new ids, so the suite
    turns it on for all of them (pytest-django reads this fixture's name)."""


@pytest.fixture(autouse=True)
def _default_template_after_flush(request):
    """Transactional tests (browser journeys, real workers) flush every table afterwards, the
    data migration's default template included; put it back before each such test."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    from designs.services import template_install_default

    template_install_default()


@pytest.fixture(autouse=True)
def _no_comment_rate_limit(settings):
    """Tests build threads of hundreds of comments in a moment; the per-minute limit is
    tested on its own (tests/security/test_limits.py) with the setting back on."""
    settings.CRIT_COMMENTS_PER_MINUTE = 0


@pytest.fixture(autouse=True)
def _no_review_request_or_email_limits(settings):
    """Likewise for review requests and the hourly email cap, each tested on its own
    (tests/reviews/test_flood.py) with the setting back on."""
    settings.CRIT_REVIEW_REQUESTS_PER_MINUTE = 0
    settings.CRIT_EMAILS_PER_HOUR = 0


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


@pytest.fixture
def outsider(db):
    return UserFactory(username="mallory")


@pytest.fixture
def team(alice):
    return TeamFactory(name="Platform", created_by=alice)


@pytest.fixture
def member(team):
    return MembershipFactory(team=team, user=UserFactory(username="member")).user


@pytest.fixture
def design(team, alice):
    return make_design(team=team, author=alice, title="URL shortener")
