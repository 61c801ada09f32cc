"""Activity and webhooks in the browser: a save shows on the design's activity tab, the
list filters by kind, and a team owner adds a webhook that hears the next save."""

import json

import pytest

from tests.activity.test_webhooks import Receiver
from tests.e2e.test_design_journey import FIRST, open_editor
from tests.factories import TeamFactory, UserFactory, make_design

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _save_first_section(page, text: str) -> None:
    from playwright.sync_api import expect

    body = open_editor(page, FIRST)
    body.fill(text)
    page.locator(f"{FIRST} button[data-save]").click()
    expect(page.locator(f"{FIRST} .section-body")).to_contain_text(text)


def test_see_a_design_activity_then_add_a_webhook_that_hears_the_next_save(
    sign_in, live_server, settings
):
    from playwright.sync_api import expect

    settings.CRIT_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    alice = UserFactory(username="alice")
    team = TeamFactory(name="Platform", created_by=alice)
    design = make_design(team=team, author=alice, title="URL shortener")
    page = sign_in("alice")

    # A save shows on the design's activity tab, newest first.
    page.goto(live_server.url + design.get_absolute_url())
    _save_first_section(page, "Teams calling our API.")
    page.get_by_role("link", name="Activity").click()
    expect(page.locator("h1")).to_have_text("Activity")
    events = page.locator("[data-testid=events] li")
    expect(events).to_have_count(1)
    expect(events.first).to_contain_text("alice saved “Who is your customer?” (version 1)")

    # Filtering by another kind empties the list (an htmx swap), and back.
    page.select_option("select[name=kind]", "comment.posted")
    expect(page.locator("#events")).to_contain_text("Nothing has happened here yet that matches")
    page.select_option("select[name=kind]", "section.saved")
    expect(events).to_have_count(1)

    # The team's owner adds a webhook; its secret is shown once.
    with Receiver() as receiver:
        page.goto(live_server.url + team.get_absolute_url())
        page.get_by_role("link", name="Webhooks").click()
        page.fill("input[name=url]", receiver.url)
        page.get_by_label("Section saved").check()
        page.get_by_role("button", name="Add webhook").click()
        secret = page.locator("[data-testid=webhook-secret]")
        expect(secret).to_have_value(team.webhooks.get().secret)

        # The next save is delivered, signed, and logged on the webhook's page.
        page.goto(live_server.url + design.get_absolute_url())
        _save_first_section(page, "Teams and their scripts.")
        page.goto(live_server.url + team.webhooks.get().get_absolute_url())
        expect(page.locator("[data-testid=deliveries]")).to_contain_text("Delivered")
        expect(page.locator("[data-testid=deliveries]")).to_contain_text("200")

    ((headers, body, _),) = receiver.requests
    assert headers["X-Crit-Event"] == "section.saved"
    assert headers["X-Crit-Signature-256"].startswith("sha256=")
    assert json.loads(body)["data"]["version"] == 2
    assert page.page_errors == []
