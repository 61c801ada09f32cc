"""Query budgets: pages cost the same number of queries however much is on them."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from designs import services
from tests.factories import make_design, make_template

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _design_with_history(*, team, author, section_count, saves_per_section):
    template = make_template(section_count=section_count)
    design = services.design_create(
        team=team, title=f"{section_count} parts", created_by=author, template=template
    )
    for section in design.sections.all():
        for n in range(saves_per_section):
            section = services.section_update(
                section=section,
                body=f"Answer {n} with a [link](https://example.com) and `code`.",
                state="answered" if n % 2 else "draft",
                base_version=section.version,
                edited_by=author,
            )
    return design


def _count(client, url, **extra) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(queries)


def _uncached(client) -> None:
    """Nothing rendered in the cache; the session in it, as in service."""
    cache.clear()
    client.get(reverse("teams:list"))


def test_design_page_costs_the_same_with_5_or_50_much_edited_sections(
    client, team, alice, django_assert_num_queries
):
    small = _design_with_history(team=team, author=alice, section_count=5, saves_per_section=4)
    large = _design_with_history(team=team, author=alice, section_count=50, saves_per_section=4)
    client.force_login(alice)
    client.get(small.get_absolute_url())  # warm the session and per-process caches
    _uncached(client)
    budget = _count(client, small.get_absolute_url())
    assert budget <= 14  # two of them for section sign-offs (owners, requirements)
    _uncached(client)
    with django_assert_num_queries(budget):
        response = client.get(large.get_absolute_url())
    assert response.content.count(b'class="section ') == 50
    client.get(small.get_absolute_url())
    assert _count(client, small.get_absolute_url()) == _count(client, large.get_absolute_url())


def test_dashboard_costs_the_same_with_3_or_30_designs(
    client, team, alice, django_assert_num_queries
):
    for n in range(3):
        make_design(team=team, author=alice, title=f"Few {n}")
    client.force_login(alice)
    client.get("/")
    _uncached(client)
    budget = _count(client, "/")
    assert budget <= 11  # one of them for sections waiting for my sign-off
    for n in range(27):
        make_design(team=team, author=alice, title=f"Many {n}")
    _uncached(client)
    with django_assert_num_queries(budget):
        response = client.get("/")
    assert response.content.count(b"<tr>") == 26  # header row + a full page of 25


def test_section_fragment_costs_the_same_after_many_saves(
    client, team, alice, django_assert_num_queries
):
    design = _design_with_history(team=team, author=alice, section_count=2, saves_per_section=1)
    url = reverse("designs:section", args=[design.pk, "part-1"])
    client.force_login(alice)
    client.get(url, **HTMX)
    budget = _count(client, url, **HTMX)
    section = design.sections.get(key="part-1")
    for _ in range(15):
        section = services.section_update(
            section=section,
            body=section.body + " more",
            base_version=section.version,
            edited_by=alice,
        )
    with django_assert_num_queries(budget):
        client.get(url, **HTMX)


def test_history_page_costs_the_same_with_2_or_30_saves(
    client, team, alice, django_assert_num_queries
):
    design = _design_with_history(team=team, author=alice, section_count=2, saves_per_section=2)
    url = reverse("designs:section_history", args=[design.pk, "part-1"])
    client.force_login(alice)
    client.get(url)
    budget = _count(client, url)
    section = design.sections.get(key="part-1")
    for n in range(28):
        section = services.section_update(
            section=section, body=f"v{n}", base_version=section.version, edited_by=alice
        )
    with django_assert_num_queries(budget):
        client.get(url)
