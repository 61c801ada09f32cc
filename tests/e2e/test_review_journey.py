"""A whole review in the browser: request, comment, issue, changes requested, fix, approval."""

import pytest
from django.urls import reverse

from tests.factories import TeamFactory, UserFactory, make_design

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def open_details(page, scope, text):
    page.locator(f"{scope} summary", has_text=text).first.click()


@pytest.fixture
def design_url(live_server) -> str:
    """alice's design "URL shortener" in her team Platform; its address on the live server."""
    alice = UserFactory(username="alice")
    team = TeamFactory(name="Platform", created_by=alice)
    design = make_design(team=team, author=alice, title="URL shortener")
    return live_server.url + design.get_absolute_url()


def ask_for_review(page, username: str, message: str = "") -> None:
    open_details(page, "#review-panel", "Request a review")
    page.fill("#request-reviewer", username)
    page.fill("#request-message", message)
    page.get_by_role("button", name="Request review").click()


def test_review_journey(live_server, sign_in, design_url):
    from playwright.sync_api import expect

    UserFactory(username="bob")
    scale, security = "#threads-how-to-scale-the-db", "#threads-how-you-will-handle-security"

    # alice asks bob for a review.
    alice_page = sign_in("alice")
    alice_page.goto(design_url)
    ask_for_review(alice_page, "bob", "Storage and scaling, please.")
    expect(alice_page.locator(".messages")).to_contain_text("Asked bob to review")
    expect(alice_page.locator("#design-status")).to_have_text("In review")

    # bob finds it waiting for him, comments, raises an issue and requests changes.
    bob_page = sign_in("bob")
    bob_page.goto(live_server.url + reverse("designs:dashboard"))
    bob_page.locator("#waiting-for-my-review a", has_text="URL shortener").click()
    expect(bob_page.locator("#section-how-to-scale-the-db .section-actions")).not_to_contain_text(
        "Edit"
    )
    open_details(bob_page, scale, "Comment on this section")
    bob_page.locator(f"{scale} .comment-box textarea").fill("What about a **hot** tenant?")
    bob_page.locator(f"{scale} .comment-box button[type=submit]").click()
    expect(bob_page.locator(f"{scale} .comment-body")).to_contain_text("What about a hot tenant?")
    expect(bob_page.locator("#comment-count-how-to-scale-the-db")).to_contain_text("1 comment")

    open_details(bob_page, security, "Comment on this section")
    bob_page.locator(f"{security} .comment-box textarea").fill("No rate limit on link creation.")
    bob_page.locator(f"{security} input[name=raise_issue]").check()
    bob_page.locator(f"{security} .comment-box button[type=submit]").click()
    expect(bob_page.locator(f"{security} .issue-badge")).to_have_text("Issue: open")
    expect(bob_page.locator("#issue-summary")).to_contain_text("Open issues (1)")

    bob_page.locator(".verdict-form input[value=request_changes]").check()
    bob_page.fill("#verdict-summary", "Abuse needs an answer first.")
    bob_page.get_by_role("button", name="Submit verdict").click()
    expect(bob_page.locator("#design-status")).to_have_text("Changes requested")

    # alice replies to the issue and marks it fixed.
    alice_page.goto(design_url)
    expect(alice_page.locator("#design-status")).to_have_text("Changes requested")
    open_details(alice_page, security, "Reply")
    alice_page.locator(f"{security} .reply-box textarea").fill("Added 100 links/hour per account.")
    alice_page.locator(f"{security} .reply-box button[type=submit]").click()
    expect(alice_page.locator(f"{security} .reply")).to_contain_text("100 links/hour")
    alice_page.locator(f"{security} button", has_text="Mark fixed").click()
    expect(alice_page.locator(f"{security} .issue-badge")).to_have_text("Issue: fixed")
    changes = alice_page.locator(f"{security} .issue-changes")
    expect(changes).to_contain_text("alice marked it fixed")

    # bob approves and the design is approved.
    bob_page.goto(design_url)
    bob_page.locator(".verdict-form input[value=approve]").check()
    bob_page.get_by_role("button", name="Submit verdict").click()
    expect(bob_page.locator("#design-status")).to_have_text("Approved")
    alice_page.goto(design_url)
    expect(alice_page.locator("#design-status")).to_have_text("Approved")
    expect(alice_page.locator("#review-panel .reviewer")).to_contain_text("Approved")

    # Both inboxes tell the story.
    alice_page.goto(live_server.url + reverse("reviews:inbox"))
    alice_inbox = alice_page.locator(".notifications")
    expect(alice_inbox).to_contain_text("bob commented on “How to scale the DB?”")
    expect(alice_inbox).to_contain_text("bob raised an issue on “How you will handle security”")
    expect(alice_inbox).to_contain_text("bob requested changes on “URL shortener”")
    expect(alice_inbox).to_contain_text("bob approved “URL shortener”")
    expect(alice_page.locator("#nav-inbox .badge")).to_have_text("4")

    bob_page.goto(live_server.url + reverse("reviews:inbox"))
    bob_inbox = bob_page.locator(".notifications")
    expect(bob_inbox).to_contain_text("alice asked you to review “URL shortener”")
    expect(bob_inbox).to_contain_text("alice replied on “How you will handle security”")
    expect(bob_inbox).to_contain_text("alice marked an issue fixed")

    # Opening a notification marks it read and lands on the exact section.
    bob_page.locator("button.notification-text", has_text="marked an issue fixed").click()
    bob_page.wait_for_url("**#section-how-you-will-handle-security")
    bob_page.get_by_role("link", name="Inbox").click()
    expect(bob_page.locator("#nav-inbox .badge")).to_have_text("2")
    assert alice_page.page_errors == [] and bob_page.page_errors == []


def test_withdrawing_a_review_request(sign_in, design_url):
    """alice asks the wrong person, withdraws the request; carol can no longer open it."""
    from playwright.sync_api import expect

    UserFactory(username="carol")
    alice_page = sign_in("alice")
    alice_page.goto(design_url)
    ask_for_review(alice_page, "carol")
    expect(alice_page.locator("#design-status")).to_have_text("In review")
    carol_page = sign_in("carol")
    carol_page.goto(design_url)
    expect(carol_page.locator("h1#design-title")).to_have_text("URL shortener")
    expect(carol_page.locator("#review-panel")).not_to_contain_text("Withdraw request")

    alice_page.get_by_role("button", name="Withdraw the review request for carol").click()
    expect(alice_page.locator(".messages")).to_contain_text("Withdrew the review request for carol")
    expect(alice_page.locator("#review-panel .reviewers")).to_have_count(0)
    expect(alice_page.locator("#design-status")).to_have_text("Draft")

    response = carol_page.goto(design_url)
    assert response is not None and response.status == 404
    assert alice_page.page_errors == [] and carol_page.page_errors == []
