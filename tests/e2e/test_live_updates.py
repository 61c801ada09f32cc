"""Live updates and presence between two people whose pages sit on two different ASGI
processes (``tests/asgi_pair.py``) sharing PostgreSQL and Redis: what one does shows in the
other's page without a reload, and a person whose server dies leaves the page."""

import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from tests.asgi_pair import asgi_pair  # noqa: F401 (a fixture)
from tests.browser import _new_page, sign_in_page
from tests.factories import TeamFactory, UserFactory, make_design, request_review

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SECTION = "how-to-scale-the-db"


@pytest.fixture
def channels_of_its_own(settings):
    """A channel layer prefix (and so presence keys) no other test run shares."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": f"t{uuid.uuid4().hex[:12]}"},
        }
    }


@pytest.fixture
def two_servers(channels_of_its_own, asgi_pair) -> Iterator[tuple[SimpleNamespace, ...]]:  # noqa: F811
    """The two processes, each as something ``sign_in_page`` takes (``.url``)."""
    yield tuple(SimpleNamespace(url=url, index=i) for i, url in enumerate(asgi_pair.urls))


@pytest.fixture
def design():
    alice = UserFactory(username="alice")
    design = make_design(team=TeamFactory(name="Platform", created_by=alice), author=alice)
    request_review(design=design, reviewer=UserFactory(username="bob"), requested_by=alice)
    return design


def test_comment_verdict_and_save_appear_in_another_page_without_reload(
    browser,
    two_servers,
    asgi_pair,  # noqa: F811
    design,
):
    from playwright.sync_api import expect

    one, two = two_servers
    contexts = []

    def person(username: str, server: SimpleNamespace):
        context, page = _new_page(browser)
        contexts.append(context)
        sign_in_page(page, server, username)
        page.goto(server.url + design.get_absolute_url())
        page.evaluate("window.__sameDocument = true")  # gone if the page reloads
        return page

    try:
        alice = person("alice", one)
        bob = person("bob", two)
        # Both sockets are up (on two processes): each sees the other.
        expect(alice.locator("#presence .presence-person", has_text="BO")).to_be_visible()
        expect(bob.locator("#presence .presence-person", has_text="AL")).to_be_visible()

        # alice has started a comment of her own on the section bob comments on.
        threads = f"#threads-{SECTION}"
        alice.locator(f"{threads} .comment-box summary").click()
        alice.locator(f"{threads} .comment-box textarea").fill("Half-written thought")

        # bob comments on one process; alice's page on the other shows it.
        bob.locator(f"{threads} .comment-box summary").click()
        bob.locator(f"{threads} .comment-box textarea").fill("What about a **hot** tenant?")
        bob.locator(f"{threads} .comment-box button[type=submit]").click()
        expect(alice.locator(f"{threads} .comment-body")).to_contain_text("hot tenant")
        expect(alice.locator(f"#comment-count-{SECTION}")).to_contain_text("1 comment")
        # The threads around it were replaced; what she was typing was not.
        expect(alice.locator(f"{threads} .comment-box textarea")).to_have_value(
            "Half-written thought"
        )
        expect(alice.locator(f"{threads} .comment-box")).to_have_attribute("open", "")

        # bob's verdict reaches alice's review panel and status badge.
        bob.locator(".verdict-form input[value=request_changes]").check()
        bob.locator(".verdict-form textarea").fill("Storage needs work.")
        bob.locator(".verdict-form button[type=submit]").click()
        expect(alice.locator("#person-bob .verdict")).to_contain_text("Changes requested")
        expect(alice.locator("#design-status")).to_have_text("Changes requested")
        # The verdict form is a plain form: bob's own page reloaded with it.
        expect(bob.locator(".messages")).to_contain_text("Your verdict is in")
        bob.evaluate("window.__sameDocument = true")
        expect(bob.locator("#presence .presence-person", has_text="AL")).to_be_visible()

        # alice saves the section; bob's card, contents and coverage follow.
        card = f"#section-{SECTION}"
        alice.locator(f"{card} .section-actions a", has_text="Edit").click()
        editor = alice.locator(f"{card} form.section-editor")
        editor.locator("textarea[name=body]").fill("Shard by **tenant**.")
        editor.locator("select[name=state]").select_option("answered")
        editor.locator("button[data-save]").click()
        expect(bob.locator(f"{card} .section-body")).to_contain_text("Shard by tenant.")
        expect(bob.locator(f"#toc-{SECTION}")).to_have_class("state-answered")
        expect(bob.locator("#toc-coverage")).to_contain_text("6% covered")
        # What bob receives is his: no Edit button on a reviewer's card.
        expect(bob.locator(f"{card} .section-actions")).not_to_contain_text("Edit")

        assert alice.evaluate("window.__sameDocument") is True
        assert bob.evaluate("window.__sameDocument") is True
        assert alice.page_errors == [] and bob.page_errors == []

        # bob's server dies (kill -9): nobody says goodbye, yet he leaves alice's page.
        asgi_pair.kill(two.index)
        expect(alice.locator("#presence .presence-person", has_text="BO")).to_have_count(
            0, timeout=12_000
        )
    finally:
        for context in contexts:
            context.close()


def test_presence_of_a_second_person_shows_and_goes(browser, two_servers, design):
    from playwright.sync_api import expect

    one, two = two_servers
    context, alice = _new_page(browser)
    try:
        sign_in_page(alice, one, "alice")
        alice.goto(one.url + design.get_absolute_url())
        bob_context, bob = _new_page(browser)
        sign_in_page(bob, two, "bob")
        bob.goto(two.url + design.get_absolute_url())
        expect(alice.locator("#presence .presence-person", has_text="BO")).to_be_visible(
            timeout=2_000
        )
        bob_context.close()  # the tab is closed
        expect(alice.locator("#presence .presence-person", has_text="BO")).to_have_count(
            0, timeout=10_000
        )
    finally:
        context.close()
