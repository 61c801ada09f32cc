"""search.selectors.search: ranking, the websearch syntax, filters, what a viewer may see,
snippets, and the index kept up to date on write (PostgreSQL full-text search)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from designs import services as design_services
from designs.models import Design
from reviews import services as review_services
from search import selectors
from search.selectors import search
from tests.factories import MembershipFactory, TeamFactory, UserFactory, make_design, request_review
from tests.search.conftest import write

pytestmark = pytest.mark.django_db


def titles(results) -> list[str]:
    return [r.design.title for r in results.results]


def test_a_title_match_ranks_above_a_comment_match(alice, new_design, comment_on):
    commented = new_design("Payments ledger")
    for _ in range(3):
        comment_on(commented, 1, alice, "Kafka, Kafka and Kafka again: why Kafka here?")
    titled = new_design("Kafka ingest")
    found = search(fetched_by=alice, query="kafka")
    assert titles(found) == ["Kafka ingest", "Payments ledger"]
    assert found.results[0].score > found.results[1].score
    assert found.total == 2
    assert titled.pk == found.results[0].design.pk


def test_a_section_match_ranks_above_a_comment_match_and_below_a_summary(
    alice, new_design, comment_on
):
    in_comment = new_design("One")
    comment_on(in_comment, 1, alice, "What about quorum reads?")
    in_section = new_design("Two")
    write(in_section, 2, "Writes need a quorum of replicas.")
    new_design("Three", summary="A quorum store.")
    assert titles(search(fetched_by=alice, query="quorum")) == ["Three", "Two", "One"]


def test_quotes_find_the_phrase_only(alice, new_design):
    write(new_design("Together"), 1, "We add read replicas to the cluster.")
    write(new_design("Apart"), 1, "We read the logs; replicas lag.")
    assert titles(search(fetched_by=alice, query='"read replicas"')) == ["Together"]
    assert set(titles(search(fetched_by=alice, query="read replicas"))) == {"Together", "Apart"}


def test_a_minus_leaves_designs_with_the_word_out(alice, new_design):
    # Each piece (summary, section, comment) is matched on its own.
    write(new_design("Plain"), 1, "A widget in front of the database.")
    write(new_design("With Redis"), 1, "A widget in Redis.")
    assert titles(search(fetched_by=alice, query="widget -redis")) == ["Plain"]


def test_or_finds_either_word(alice, new_design):
    write(new_design("Raft"), 1, "Consensus with raft.")
    write(new_design("Paxos"), 1, "Consensus with paxos.")
    assert set(titles(search(fetched_by=alice, query="raft or paxos"))) == {"Raft", "Paxos"}


def test_an_outsiders_design_is_never_matched_nor_counted(alice, outsider, new_design):
    new_design("Zanzibar authorisation")
    other = TeamFactory(name="Secret", created_by=outsider)
    hidden = make_design(team=other, author=outsider, title="Zanzibar secret plan")
    write(hidden, 1, "Zanzibar everywhere.")
    found = search(fetched_by=alice, query="zanzibar")
    assert titles(found) == ["Zanzibar authorisation"]
    assert found.total == 1
    assert search(fetched_by=outsider, query="authorisation").total == 0


def test_a_private_teams_designs_stay_out_of_an_outsiders_search(outsider, new_design):
    new_design("Zanzibar", summary="Zanzibar zanzibar")
    found = search(fetched_by=outsider, query="zanzibar")
    assert found.total == 0
    assert found.results == []


def test_a_reviewer_finds_the_design_they_were_asked_to_review_and_loses_it_after(
    alice, bob, new_design
):
    design = new_design("Billing export")
    request_review(design=design, reviewer=bob, requested_by=alice)
    assert search(fetched_by=bob, query="billing").total == 1
    review_services.review_request_withdraw(design=design, reviewer=bob, withdrawn_by=alice)
    assert search(fetched_by=bob, query="billing").total == 0


def test_filters_narrow_by_team_status_author_and_date(alice, team, new_design):
    bob = UserFactory(username="bob")
    MembershipFactory(team=team, user=bob)
    other_team = TeamFactory(name="Data", created_by=alice)
    first = new_design("Feed one")
    second = make_design(team=team, author=bob, title="Feed two")
    third = make_design(team=other_team, author=alice, title="Feed three")
    Design.objects.filter(pk=third.pk).update(status=Design.Status.APPROVED)
    Design.objects.filter(pk=first.pk).update(last_edited_at=timezone.now() - timedelta(days=40))

    def found(**filters) -> set[str]:
        return set(titles(search(fetched_by=alice, query="feed", **filters)))

    assert found() == {"Feed one", "Feed two", "Feed three"}
    assert found(team_id=other_team.pk) == {"Feed three"}
    assert found(status="approved") == {"Feed three"}
    assert found(author_id=bob.pk) == {"Feed two"}
    assert found(author_id=0) == set()
    month_ago = timezone.now() - timedelta(days=30)
    assert found(since=month_ago) == {"Feed two", "Feed three"}
    assert found(until=month_ago) == {"Feed one"}
    assert second.pk and third.pk


def test_snippets_are_escaped_and_mark_the_words(alice, new_design):
    design = new_design("Widgets")
    body = (
        'the kafka \ue000 consumer: if a < b && c > "d" then <script>alert(1)</script> <img src=x'
    )
    write(design, 1, body)
    hit = search(fetched_by=alice, query="kafka").results[0].hits[0]
    assert "<mark>kafka</mark>" in hit.snippet
    assert "&amp;&amp;" in hit.snippet and "&quot;d&quot;" in hit.snippet
    unmarked = hit.snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in unmarked and ">" not in unmarked
    assert "\ue000" not in hit.snippet
    assert hit.snippet.count("<mark>") == hit.snippet.count("</mark>") == 1


def test_a_title_is_escaped_with_its_words_marked(alice, new_design):
    new_design('<b onmouseover="x">Kafka</b> & co')
    result = search(fetched_by=alice, query="kafka").results[0]
    assert result.title.startswith("&lt;b onmouseover=&quot;x&quot;&gt;<mark>Kafka</mark>")


def test_hits_link_to_the_exact_section_and_comment(alice, new_design, comment_on):
    design = new_design("Links")
    write(design, 2, "Backpressure on the queue.")
    comment = comment_on(design, 3, alice, "Backpressure again?")
    hits = {h.kind: h for h in search(fetched_by=alice, query="backpressure").results[0].hits}
    section = design.sections.get(position=2)
    assert hits["section"].url == f"/designs/{design.pk}/#section-{section.key}"
    assert hits["comment"].url == f"/designs/{design.pk}/#comment-{comment.pk}"
    assert hits["comment"].author == "alice"


def test_a_deleted_comment_is_not_found(alice, new_design, comment_on):
    design = new_design("Gone")
    comment = comment_on(design, 1, alice, "Idempotency keys?")
    assert search(fetched_by=alice, query="idempotency").total == 1
    review_services.comment_delete(comment=comment, deleted_by=alice)
    assert search(fetched_by=alice, query="idempotency").total == 0


def test_a_section_save_updates_what_is_found(alice, new_design):
    design = new_design("Moving")
    write(design, 1, "Cassandra holds the rows.")
    assert search(fetched_by=alice, query="cassandra").total == 1
    write(design, 1, "PostgreSQL holds the rows.")
    assert search(fetched_by=alice, query="cassandra").total == 0
    assert search(fetched_by=alice, query="postgresql").total == 1


def test_a_design_edit_updates_what_is_found(alice, new_design):
    design = new_design("Old name")
    design_services.design_update(design=design, title="Gateway", summary="", edited_by=alice)
    assert search(fetched_by=alice, query="gateway").total == 1
    assert search(fetched_by=alice, query="old").total == 0


def test_only_common_words_search_nothing_and_say_why(alice, new_design):
    new_design("The the")
    found = search(fetched_by=alice, query="the")
    assert found.total == 0 and "common" in found.note


def test_only_words_to_leave_out_search_nothing_and_say_why(alice, new_design):
    new_design("Cache")
    found = search(fetched_by=alice, query="-redis")
    assert found.total == 0 and "leave out" in found.note


def test_pages_split_the_designs_and_a_page_past_the_end_keeps_the_total(alice, new_design):
    for n in range(5):
        new_design(f"Shard {n}")
    first = search(fetched_by=alice, query="shard", per_page=2)
    assert first.total == 5 and first.num_pages == 3 and len(first.results) == 2
    third = search(fetched_by=alice, query="shard", per_page=2, page=3)
    assert len(third.results) == 1
    past = search(fetched_by=alice, query="shard", per_page=2, page=9)
    assert past.results == [] and past.total == 5
    seen = {r.design.pk for p in (1, 2, 3) for r in search(
        fetched_by=alice, query="shard", per_page=2, page=p).results}  # fmt: skip
    assert len(seen) == 5


def test_each_design_shows_its_best_three_hits(alice, new_design, comment_on):
    design = new_design("Many")
    for position in range(1, 6):
        write(design, position, "Zanzibar everywhere.")
    result = search(fetched_by=alice, query="zanzibar").results[0]
    assert result.hit_count == 5
    assert len(result.hits) == selectors.HITS_PER_DESIGN


# The SQLite fallback (the embedded default): the same answers from a simple match. ---------


@pytest.fixture
def simple(monkeypatch):
    monkeypatch.setattr(selectors, "full_text", lambda: False)


def test_simple_match_ranks_title_above_comment_and_keeps_outsiders_out(
    simple, alice, outsider, new_design, comment_on
):
    commented = new_design("Payments")
    comment_on(commented, 1, alice, "Kafka here?")
    new_design("Kafka ingest")
    other = TeamFactory(name="Secret", created_by=outsider)
    make_design(team=other, author=outsider, title="Kafka secret")
    found = search(fetched_by=alice, query="kafka")
    assert titles(found) == ["Kafka ingest", "Payments"]
    assert found.total == 2


def test_simple_match_takes_phrases_and_exclusions_and_escapes(simple, alice, new_design):
    write(new_design("Together"), 1, "<b>read replicas</b> added")
    write(new_design("Redis"), 1, "read replicas in redis")
    found = search(fetched_by=alice, query='"read replicas" -redis')
    assert titles(found) == ["Together"]
    snippet = found.results[0].hits[0].snippet
    assert "&lt;b&gt;<mark>read replicas</mark>&lt;/b&gt;" in snippet
    assert search(fetched_by=alice, query="-redis").note


def test_a_search_past_the_time_limit_stops_with_a_note(alice, new_design, settings, monkeypatch):
    new_design("Slow one")
    new_design("Slow two")
    settings.CRIT_SEARCH_TIMEOUT_MS = 20
    slow = selectors._PAGE.replace(
        "SELECT id, score", "SELECT id + length(pg_sleep(0.05)::text), score"
    )
    monkeypatch.setattr(selectors, "_PAGE", slow)
    found = search(fetched_by=alice, query="slow")
    assert found.total == 0 and found.results == []
    assert "too much" in found.note
    # The connection is still usable, with no limit left behind.
    settings.CRIT_SEARCH_TIMEOUT_MS = 0
    monkeypatch.undo()
    assert search(fetched_by=alice, query="slow").total == 2
