"""Writing a design in the browser: create, edit, save, history, diff, conflicts, drafts."""

import pytest
from django.urls import reverse

from designs.models import Design
from tests.factories import TeamFactory, UserFactory, make_design

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

FIRST = "#section-who-is-your-customer"
SECOND = "#section-what-is-the-problem-this-solutions-is-trying-to-solve"


@pytest.fixture
def platform():
    alice = UserFactory(username="alice")
    return TeamFactory(name="Platform", created_by=alice)


def open_editor(page, card):
    page.locator(f"{card} .section-actions a", has_text="Edit").click()
    page.wait_for_selector(f"{card} form.section-editor textarea[name=body]")
    return page.locator(f"{card} textarea[name=body]")


def test_write_a_design_then_read_its_history_and_diff(platform, sign_in, live_server):
    from playwright.sync_api import expect

    page = sign_in("alice")
    expect(page.locator("h1")).to_have_text("Designs")

    page.get_by_role("link", name="New design").first.click()
    page.fill("input[name=title]", "Rate limiter")
    page.fill("textarea[name=summary]", "Token buckets at the edge.")
    page.get_by_role("button", name="Create design").click()
    expect(page.locator("#design-title")).to_have_text("Rate limiter")
    expect(page.locator("#toc-coverage")).to_contain_text("0% covered")

    body = open_editor(page, FIRST)
    body.fill("Teams calling our API.\n\n| Plan | Limit |\n|---|---|\n| Free | 10/s |\n")
    page.select_option(f"{FIRST} select[name=state]", "answered")
    body.press("Control+s")
    expect(page.locator(f"{FIRST} .section-body table")).to_be_visible()
    expect(page.locator(f"{FIRST} .state-badge")).to_have_text("Answered")
    expect(page.locator("#toc-coverage")).to_contain_text("6% covered")

    body = open_editor(page, FIRST)
    body.fill("Teams calling our public API.\n\n| Plan | Limit |\n|---|---|\n| Free | 10/s |\n")
    page.locator(f"{FIRST} button[data-save]").click()
    expect(page.locator(f"{FIRST} .section-body")).to_contain_text("our public API")

    page.locator(f"{FIRST} .section-actions a", has_text="History").click()
    expect(page.locator("h1")).to_have_text("History")
    expect(page.locator(".history-table")).to_contain_text("2 saves, v1\u2013v2")
    page.get_by_role("button", name="Compare selected").click()
    expect(page.locator("h1")).to_have_text("Changes from v0 to v2")

    design = Design.objects.get(title="Rate limiter")
    diff_url = reverse("designs:section_diff", args=[design.pk, "who-is-your-customer"])
    page.goto(f"{live_server.url}{diff_url}?from=1&to=2")
    expect(page.locator(".diff ins")).to_have_text("public ")
    assert page.page_errors == []


def test_second_save_of_the_same_section_shows_the_conflict_and_keeps_my_text(
    platform, sign_in, live_server
):
    from playwright.sync_api import expect

    design = make_design(team=platform, author=platform.created_by, title="URL shortener")
    url = live_server.url + design.get_absolute_url()
    first, second = sign_in("alice"), sign_in("alice")
    for page in (first, second):
        page.goto(url)
        open_editor(page, SECOND)

    first.locator(f"{SECOND} textarea[name=body]").fill("Links are too long for SMS.")
    first.locator(f"{SECOND} button[data-save]").click()
    expect(first.locator(f"{SECOND} .section-body")).to_contain_text("too long for SMS")

    mine = "Printed QR codes need short links."
    second.locator(f"{SECOND} textarea[name=body]").fill(mine)
    second.locator(f"{SECOND} button[data-save]").click()
    expect(second.locator(f"{SECOND} .conflict-box")).to_be_visible()
    expect(second.locator(f"{SECOND} textarea.theirs")).to_have_value("Links are too long for SMS.")
    expect(second.locator(f"{SECOND} textarea.mine")).to_have_value(mine)

    merged = "Links are too long for SMS. Printed QR codes need short links."
    second.locator(f"{SECOND} textarea.mine").fill(merged)
    second.locator(f"{SECOND} button[data-save]").click()
    expect(second.locator(f"{SECOND} .section-body")).to_have_text(merged)
    section = design.sections.get(key="what-is-the-problem-this-solutions-is-trying-to-solve")
    assert (section.body, section.version) == (merged, 2)


def test_an_unsaved_draft_survives_a_reload(platform, sign_in, live_server):
    from playwright.sync_api import expect

    design = make_design(team=platform, author=platform.created_by, title="URL shortener")
    page = sign_in("alice")
    page.goto(live_server.url + design.get_absolute_url())
    open_editor(page, FIRST).fill("Half a thought about our customers")

    page.reload()
    expect(page.locator(f"{FIRST} .draft-resume")).to_contain_text("unsaved draft")
    page.locator(f"{FIRST} .draft-resume button").click()
    expect(page.locator(f"{FIRST} textarea[name=body]")).to_have_value(
        "Half a thought about our customers"
    )
    expect(page.locator(f"{FIRST} .draft-notice").first).to_contain_text("Restored")
    page.locator(f"{FIRST} button[data-save]").click()
    expect(page.locator(f"{FIRST} .section-body")).to_contain_text("Half a thought")

    page.reload()
    expect(page.locator(f"{FIRST} .draft-resume")).to_have_count(0)


def test_editing_works_without_javascript(platform, sign_in, live_server):
    from playwright.sync_api import expect

    design = make_design(team=platform, author=platform.created_by, title="URL shortener")
    page = sign_in("alice", java_script_enabled=False)
    page.goto(live_server.url + design.get_absolute_url())
    page.locator(f"{FIRST} .section-actions a", has_text="Edit").click()
    page.fill(f"{FIRST} textarea[name=body]", "Plain **form** post")
    page.locator(f"{FIRST} button[data-save]").click()
    expect(page.locator(".messages")).to_contain_text("Saved")
    expect(page.locator(f"{FIRST} .section-body strong")).to_have_text("form")
