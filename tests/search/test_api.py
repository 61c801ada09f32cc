"""GET /api/v1/search."""

import pytest

from tests.factories import TeamFactory, make_design
from tests.search.conftest import write

pytestmark = pytest.mark.django_db

URL = "/api/v1/search"


def test_search_answers_designs_with_their_hits(api_for, alice, outsider, new_design, comment_on):
    design = new_design("Kafka ingest", summary="Events & more")
    write(design, 2, "Consumers read from <b>Kafka</b>.")
    comment = comment_on(design, 3, alice, "Kafka?")
    make_design(team=TeamFactory(created_by=outsider), author=outsider, title="Kafka secret")
    response = api_for(alice).get(URL, {"q": "kafka"})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1 and data["page"] == 1 and data["pages"] == 1
    assert data["capped"] is False
    [result] = data["results"]
    assert result["design"]["id"] == design.pk
    assert result["design"]["team"]["name"] == design.team.name
    assert result["title"] == "<mark>Kafka</mark> ingest"
    assert result["match_count"] == 3
    kinds = {hit["kind"]: hit for hit in result["hits"]}
    section = design.sections.get(position=2)
    assert kinds["section"]["section"] == section.key
    assert kinds["section"]["url"].endswith(f"#section-{section.key}")
    assert "<b>" not in kinds["section"]["snippet"]
    assert "<mark>Kafka</mark>" in kinds["section"]["snippet"]
    assert kinds["comment"]["comment_id"] == comment.pk
    assert kinds["comment"]["author"] == "alice"


def test_an_outsider_finds_and_counts_nothing(api_for, outsider, new_design):
    new_design("Kafka ingest")
    data = api_for(outsider).get(URL, {"q": "kafka"}).json()
    assert data["count"] == 0 and data["results"] == []


def test_filters_narrow_the_designs(api_for, alice, new_design):
    new_design("Feed")
    api = api_for(alice)
    assert api.get(URL, {"q": "feed", "status": "draft"}).json()["count"] == 1
    assert api.get(URL, {"q": "feed", "status": "approved"}).json()["count"] == 0
    assert api.get(URL, {"q": "feed", "author": "bob"}).json()["count"] == 0
    assert api.get(URL, {"q": "feed", "since": "2000-01-01"}).json()["count"] == 1
    assert api.get(URL, {"q": "feed", "until": "2000-01-01"}).json()["count"] == 0


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "x" * 201},
        {"q": "x", "status": "nonsense"},
        {"q": "x", "team": "0"},
        {"q": "x", "since": "soon"},
        {"q": "x", "since": "2026-02-02", "until": "2026-01-01"},
        {"q": "x", "page": "0"},
    ],
)
def test_bad_input_is_a_422(api_for, alice, params):
    response = api_for(alice).get(URL, params)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_signed_out_callers_get_401(client):
    assert client.get(URL, {"q": "x"}).status_code == 401


def test_more_matches_than_the_window_count_the_window_with_a_note(
    api_for, alice, new_design, monkeypatch
):
    from search import selectors

    monkeypatch.setattr(selectors, "WINDOW", 2)
    for n in range(3):
        new_design(f"Kafka {n}")
    data = api_for(alice).get(URL, {"q": "kafka"}).json()
    assert data["count"] == 2 and len(data["results"]) == 2 and data["capped"] is True
    assert data["note"].startswith("More than 2 designs match")


def test_a_nul_in_the_words_or_the_author_is_a_422(api_for, alice):
    api = api_for(alice)
    assert api.get(URL, {"q": "ka\x00fka"}).status_code == 422
    assert api.get(URL, {"q": "kafka", "author": "bo\x00b"}).status_code == 422
