"""Review rounds in the browser: the author asks for a re-review, the reviewer opens
"changes since your last review" and sees only the changed section's diff."""

import pytest

from designs import services as design_services
from reviews import services as review_services
from tests.factories import TeamFactory, UserFactory, make_design, request_review

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_rereview_and_changes_since_my_last_review(live_server, sign_in):
    from playwright.sync_api import expect

    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    team = TeamFactory(name="Platform", created_by=alice)
    design = make_design(team=team, author=alice, title="URL shortener")
    request_review(design=design, reviewer=bob, requested_by=alice)
    review_services.verdict_submit(design=design, reviewer=bob, kind="request_changes")
    changed = design.sections.get(position=2)
    design_services.section_update(
        section=changed, body="Shard by key hash.", base_version=0, edited_by=alice
    )

    alice_page = sign_in("alice")
    alice_page.goto(live_server.url + design.get_absolute_url())
    rounds = alice_page.locator("#review-rounds")
    expect(rounds.locator("#round-1")).to_contain_text("Changes requested")
    rounds.get_by_role("button", name="Request re-review").click()
    expect(alice_page.locator("#review-rounds")).to_contain_text("Round 2 started")
    expect(alice_page.locator("#round-2")).to_contain_text("bob: Waiting")

    bob_page = sign_in("bob")
    bob_page.goto(live_server.url + "/reviews/notifications/")
    bob_page.get_by_text("asked you to review “URL shortener” again").first.click()
    bob_page.wait_for_url(lambda url: "/changes/" in url)
    expect(bob_page.locator(".changed-section")).to_have_count(1)
    expect(bob_page.locator(f"#changed-{changed.key}")).to_contain_text("Shard by key hash.")
    expect(bob_page.locator(".unchanged-sections li")).to_have_count(design.sections.count() - 1)
