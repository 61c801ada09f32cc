"""Searching in the browser: the box in the navigation ("/" focuses it), results grouped by
design with the matched words marked and links to the exact section or comment, and the XSS
corpus in titles, summaries, sections and comments shown escaped in the results."""

import pytest
from django.urls import reverse

from designs import services as design_services
from reviews import services as review_services
from tests.factories import TeamFactory, UserFactory, add_comment, make_design, make_template
from tests.security.test_xss_browser import Watch, _one_line
from tests.security.xss_vectors import TEXTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _write(design, position: int, body: str):
    section = design.sections.get(position=position)
    return design_services.section_update(
        section=section, body=body, base_version=section.version, edited_by=design.created_by
    )


def test_search_from_the_navigation_box_and_follow_a_hit(live_server, sign_in):
    from playwright.sync_api import expect

    alice = UserFactory(username="alice")
    team = TeamFactory(name="Platform", created_by=alice)
    titled = make_design(team=team, author=alice, title="Kafka ingest")
    commented = make_design(team=team, author=alice, title="Billing")
    _write(commented, 2, "Events come from Kafka topics.")
    comment = add_comment(
        section=commented.sections.get(position=3), author=alice, body="Why Kafka here?"
    )
    mallory = UserFactory(username="mallory")
    make_design(team=TeamFactory(created_by=mallory), author=mallory, title="Kafka secrets")

    page = sign_in("alice")
    page.goto(live_server.url + reverse("designs:dashboard"))
    page.wait_for_function("() => document.querySelector('[data-shortcuts-open]:not([hidden])')")
    page.keyboard.press("/")
    box = page.get_by_role("searchbox", name="Search designs and comments")
    expect(box).to_be_focused()
    page.keyboard.type("kafka")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=kafka")

    expect(page.locator("#search-count")).to_contain_text("2 designs match")
    results = page.locator(".search-result")
    expect(results).to_have_count(2)
    # The title match first, then the design where only a section and a comment match.
    expect(results.nth(0).locator("h2")).to_have_text("Kafka ingest")
    expect(results.nth(0).locator("h2 mark")).to_have_text("Kafka")
    expect(results.nth(1).locator("h2")).to_have_text("Billing")
    expect(results.nth(1).locator(".snippet mark").first).to_have_text("Kafka")
    expect(page.locator("main")).not_to_contain_text("Kafka secrets")
    assert titled.title in page.inner_text("main")

    results.nth(1).locator(".search-hit-comment a").click()
    page.wait_for_url(f"**/designs/{commented.pk}/#comment-{comment.pk}")
    expect(page.locator(f"#comment-{comment.pk}")).to_be_visible()


def test_the_xss_corpus_is_shown_escaped_in_search_results(live_server, sign_in):
    from playwright.sync_api import expect

    alice = UserFactory(username="alice")
    team = TeamFactory(name="Platform", created_by=alice)
    template = make_template(section_count=1, slug="one")
    for text in TEXTS:
        design = design_services.design_create(
            team=team,
            template=template,
            # The word first: PostgreSQL's parser reads an unclosed "<" as a tag to its end.
            title="zanzibar " + _one_line(text)[:180],
            summary="zanzibar " + text,
            created_by=alice,
        )
        section = _write(design, 1, "zanzibar " + text)
        review_services.comment_add(section=section, author=alice, body="zanzibar " + text)

    watch = Watch(sign_in("alice", bypass_csp=True))
    problems = []
    pages = -(-len(TEXTS) // 20)
    for number in range(1, pages + 1):
        url = f"{live_server.url}{reverse('search:page')}?q=zanzibar&page={number}"
        problems += watch.visit(url)
        expect(watch.page.locator(".search-result")).to_have_count(
            min(20, len(TEXTS) - (number - 1) * 20)
        )
        # Only our own <mark> elements inside the results: every other tag was escaped.
        tags = watch.page.evaluate(
            """() => [...document.querySelectorAll('.search-result h2 a *, .snippet *')]
                     .map(e => e.tagName.toLowerCase())"""
        )
        assert set(tags) <= {"mark"}, (number, set(tags))
        assert "mark" in tags
    problems += [f"page error: {e}" for e in watch.page.page_errors]
    assert problems == [], "\n".join(problems)
