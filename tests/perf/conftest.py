import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.models import Comment
from tests.factories import UserFactory, request_review


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


@pytest.fixture
def reviewed(design, alice, bob):
    """``design`` with a review requested from bob."""
    request_review(design=design, reviewer=bob, requested_by=alice)
    design.refresh_from_db()
    return design


def comments_bulk_add(*, design, author, replier, count: int) -> None:
    """``count`` comments spread over the design's sections, every third a reply and every
    fifth thread an open issue, written in bulk (rendered HTML included) to keep tests fast."""
    sections = list(design.sections.order_by("position"))
    threads: list[Comment] = []
    for n in range(count):
        section = sections[n % len(sections)]
        if n % 3 == 2 and threads:
            parent = threads[-1]
            Comment.objects.create(
                design=design,
                section=parent.section,
                parent=parent,
                author=replier,
                body=f"Reply {n}",
                body_html=f"<p>Reply {n}</p>",
                section_version=parent.section.version,
            )
            continue
        threads.append(
            Comment.objects.create(
                design=design,
                section=section,
                author=author,
                body=f"Comment {n} with `code`",
                body_html=f"<p>Comment {n} with <code>code</code></p>",
                section_version=section.version,
                issue_status="open" if n % 5 == 0 else "",
            )
        )


def count_queries(client, url: str, **extra) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200, response.content[:500]
    return len(queries)
