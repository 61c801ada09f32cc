"""The search page and the search box in the navigation."""

import pytest
from django.urls import reverse

from tests.factories import TeamFactory, make_design
from tests.search.conftest import write

pytestmark = pytest.mark.django_db

URL = reverse("search:page")


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(URL, {"q": "kafka"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_every_page_has_the_search_box_in_the_navigation(client, alice):
    client.force_login(alice)
    html = client.get(reverse("designs:dashboard")).content.decode()
    assert 'role="search"' in html
    assert 'id="site-search"' in html and f'action="{URL}"' in html
    assert '<label for="site-search"' in html


def test_results_are_grouped_by_design_with_marked_words_and_links(
    client, alice, outsider, new_design, comment_on
):
    design = new_design("Kafka ingest")
    write(design, 2, "Consumers read from Kafka.")
    comment = comment_on(design, 3, alice, "Which Kafka version?")
    hidden = make_design(team=TeamFactory(created_by=outsider), author=outsider, title="Kafka 2")
    client.force_login(alice)
    response = client.get(URL, {"q": "kafka"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 design match" in html
    assert html.count('class="search-result card"') == 1
    assert "<mark>Kafka</mark> ingest" in html
    section = design.sections.get(position=2)
    assert f'href="/designs/{design.pk}/#section-{section.key}"' in html
    assert f'href="/designs/{design.pk}/#comment-{comment.pk}"' in html
    assert hidden.title not in html


def test_titles_and_snippets_are_escaped(client, alice, new_design):
    design = new_design('<img src=x onerror="alert(1)"> Kafka')
    write(design, 1, "Kafka & <script>alert(2)</script>")
    client.force_login(alice)
    html = client.get(URL, {"q": "kafka"}).content.decode()
    assert "<img src=x" not in html and "<script>alert(2)" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; <mark>Kafka</mark>" in html


def test_filters_reach_the_search(client, alice, new_design):
    new_design("Feed one")
    client.force_login(alice)
    assert "1 design match" in client.get(URL, {"q": "feed", "status": "draft"}).content.decode()
    html = client.get(URL, {"q": "feed", "status": "approved"}).content.decode()
    assert "Nothing you can read matches" in html
    html = client.get(URL, {"q": "feed", "author": "nobody-by-that-name"}).content.decode()
    assert "Nothing you can read matches" in html
    html = client.get(URL, {"q": "feed", "author": "alice"}).content.decode()
    assert "1 design match" in html


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x", "status": "nonsense"},
        {"q": "x", "team": "abc"},
        {"q": "x", "since": "yesterday"},
        {"q": "x", "since": "2026-02-02", "until": "2026-01-01"},
        {"q": "x" * 201},
        {"q": "x", "page": "0"},
    ],
)
def test_bad_input_is_a_400_with_the_reason_and_nothing_searched(client, alice, params):
    client.force_login(alice)
    response = client.get(URL, params)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error"' in html or 'class="errors"' in html
    assert "Nothing was searched" in html


def test_common_words_only_say_why_nothing_was_found(client, alice, new_design):
    new_design("The")
    client.force_login(alice)
    assert "Only very common words" in client.get(URL, {"q": "the"}).content.decode()


def test_htmx_gets_the_results_alone(client, alice, new_design):
    new_design("Kafka")
    client.force_login(alice)
    html = client.get(URL, {"q": "kafka"}, headers={"HX-Request": "true"}).content.decode()
    assert html.lstrip().startswith('<section id="search-results"')
    assert "<mark>Kafka</mark>" in html


def test_the_pages_of_results_link_to_each_other(client, alice, new_design, settings):
    for n in range(22):
        new_design(f"Shard {n}")
    client.force_login(alice)
    html = client.get(URL, {"q": "shard", "status": "draft"}).content.decode()
    assert "22 designs match" in html and "page 1 of 2" in html
    assert 'href="?q=shard&amp;status=draft&amp;page=2"' in html
    html = client.get(URL, {"q": "shard", "status": "draft", "page": "2"}).content.decode()
    assert html.count('class="search-result card"') == 2


def test_more_matches_than_the_window_say_so_and_still_show_the_best(
    client, alice, new_design, monkeypatch
):
    from search import selectors

    monkeypatch.setattr(selectors, "WINDOW", 2)
    for n in range(3):
        new_design(f"Kafka {n}")
    client.force_login(alice)
    html = client.get(URL, {"q": "kafka"}).content.decode()
    assert "More than 2 designs match “kafka”" in html
    assert "most recently edited are shown" in html
    assert html.count('class="search-result card"') == 2
