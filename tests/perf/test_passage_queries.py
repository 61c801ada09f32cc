"""Query budgets of passages and suggestions: pages, the API and a save cost the same with
a few threads on passages or hundreds."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from designs import services as design_services
from reviews.models import Comment, CommentAnchor, Suggestion
from tests.api.conftest import ApiClient
from tests.factories import make_api_token, make_design, request_review
from tests.perf.conftest import count_queries
from tests.perf.test_queries import _page_costs

pytestmark = pytest.mark.django_db

WORDS = "Reads go to the replicas and writes go to the primary. "


def _with_text(design, alice):
    """Every section answered with the same text; the sections as saved."""
    saved = []
    for section in design.sections.order_by("position"):
        saved.append(
            design_services.section_update(
                section=section, body=WORDS * 20, base_version=section.version, edited_by=alice
            )
        )
    return saved


def passages_bulk_add(*, design, sections, author, count: int) -> None:
    """``count`` threads on passages, spread over the sections, every other one suggesting an
    edit; written in bulk."""
    for n in range(count):
        section = sections[n % len(sections)]
        start = (n * 7) % (len(WORDS) * 19)
        exact = section.body[start : start + 20]
        comment = Comment.objects.create(
            design=design,
            section=section,
            author=author,
            body=f"Passage {n}",
            body_html=f"<p>Passage {n}</p>",
            section_version=section.version,
        )
        CommentAnchor.objects.create(
            comment=comment,
            section=section,
            quote=exact,
            exact=exact,
            prefix=section.body[max(0, start - 32) : start],
            suffix=section.body[start + 20 : start + 52],
            start=start,
            end=start + 20,
            section_version=section.version,
        )
        if n % 2:
            Suggestion.objects.create(
                comment=comment,
                design=design,
                section=section,
                original=exact,
                replacement=exact.upper(),
                start=start,
                end=start + 20,
                base_version=section.version,
                base_body=section.body,
            )


@pytest.fixture
def two_designs(team, alice, bob, reviewed):
    large = make_design(team=team, author=alice, title="Large")
    request_review(design=large, reviewer=bob, requested_by=alice)
    small_sections = _with_text(reviewed, alice)
    large_sections = _with_text(large, alice)
    passages_bulk_add(design=reviewed, sections=small_sections, author=bob, count=5)
    passages_bulk_add(design=large, sections=large_sections, author=bob, count=300)
    return reviewed, large


@pytest.mark.parametrize("viewer", ["alice", "bob"])
def test_design_page_costs_the_same_with_5_or_300_passages(client, two_designs, viewer, request):
    small, large = two_designs
    client.force_login(request.getfixturevalue(viewer))
    assert _page_costs(client, small.get_absolute_url()) == _page_costs(
        client, large.get_absolute_url()
    )


def test_api_threads_and_suggestions_cost_the_same_with_5_or_300_passages(two_designs, alice):
    small, large = two_designs
    api = ApiClient(make_api_token(user=alice))
    key = small.sections.get(position=1).key
    for path in (
        "/api/v1/designs/{id}/sections/{key}/comments",
        "/api/v1/designs/{id}/sections/{key}/suggestions",
    ):
        api.get(path.format(id=small.pk, key=key))
        assert count_queries(api, path.format(id=small.pk, key=key)) == count_queries(
            api, path.format(id=large.pk, key=key)
        ), path


def test_a_save_costs_the_same_with_5_or_300_passages(two_designs, alice):
    small, large = two_designs
    key = small.sections.get(position=1).key

    def save_cost(design) -> tuple[int, int]:
        section = design.sections.get(key=key)
        with CaptureQueriesContext(connection) as queries:
            design_services.section_update(
                section=section,
                body="An intro.\n\n" + section.body,
                base_version=section.version,
                edited_by=alice,
            )
        anchors = [q for q in queries if "reviews_commentanchor" in q["sql"]]
        return len(queries), len(anchors)

    small_cost, large_cost = save_cost(small), save_cost(large)
    assert small_cost == large_cost
    assert small_cost[1] == 2  # one read of the section's anchors, one bulk update
    assert CommentAnchor.objects.filter(section__design=large, status="removed").count() == 0
