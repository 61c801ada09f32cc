"""Pages show Markdown rendered when it was saved: no view that shows a design renders any."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from markdown_it import MarkdownIt

from designs import markdown
from tests.factories import add_comment
from tests.perf.conftest import comments_bulk_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def written(reviewed, alice, bob):
    """Every section answered in Markdown, with comments, replies and issues."""
    from designs import services

    for section in reviewed.sections.all():
        services.section_update(
            section=section,
            body=f"## {section.title}\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nx = 1\n```",
            state="answered",
            base_version=section.version,
            edited_by=alice,
        )
    add_comment(section=reviewed.sections.first(), author=bob, body="**Why** not `redis`?")
    comments_bulk_add(design=reviewed, author=bob, replier=alice, count=40)
    return reviewed


@pytest.fixture
def markdown_forbidden(monkeypatch, written):
    """Any rendering fails the test: the parser refuses, and the per-block memo that
    ``written`` filled is emptied (as is the page cache), so ``render_markdown`` called by a
    view on a saved text would reach the parser instead of answering from memory."""

    def refuse(*args, **kwargs):
        raise AssertionError("Markdown was rendered while showing a page")

    monkeypatch.setattr(MarkdownIt, "render", refuse)
    monkeypatch.setattr(MarkdownIt, "parse", refuse)
    markdown._render_block.cache_clear()
    cache.clear()
    with pytest.raises(AssertionError, match="Markdown was rendered"):
        markdown.render_markdown(written.sections.first().body)


@pytest.mark.parametrize("viewer", ["alice", "bob"])
def test_design_page_renders_no_markdown_cold_or_warm(
    client, written, markdown_forbidden, viewer, request
):
    client.force_login(request.getfixturevalue(viewer))
    cache.clear()
    cold = client.get(written.get_absolute_url())
    warm = client.get(written.get_absolute_url())
    assert cold.status_code == warm.status_code == 200
    assert b'<pre class="highlight">' in cold.content
    assert b"<strong>Why</strong>" in cold.content


def test_section_fragment_and_history_render_no_markdown(
    client, written, alice, markdown_forbidden
):
    client.force_login(alice)
    key = written.sections.first().key
    fragment = client.get(
        reverse("designs:section", args=[written.pk, key]), HTTP_HX_REQUEST="true"
    )
    assert fragment.status_code == 200
    assert client.get(reverse("designs:section_history", args=[written.pk, key])).status_code == 200


def test_dashboard_and_api_render_no_markdown(client, written, alice, markdown_forbidden):
    from tests.api.conftest import ApiClient
    from tests.factories import make_api_token

    client.force_login(alice)
    assert client.get("/").status_code == 200
    api = ApiClient(make_api_token(user=alice))
    assert api.get(f"/api/v1/designs/{written.pk}").status_code == 200
    key = written.sections.first().key
    assert api.get(f"/api/v1/designs/{written.pk}/sections/{key}/comments").status_code == 200
