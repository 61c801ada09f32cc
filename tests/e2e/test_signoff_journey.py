"""Section sign-off in the browser: a role on the team page, a section that requires it,
signing off, and an edit of the section resetting the sign-off."""

import pytest

from tests.e2e.test_design_journey import FIRST, open_editor
from tests.factories import TeamFactory, UserFactory, make_design

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_require_a_role_sign_off_then_an_edit_resets_it(sign_in, live_server):
    from playwright.sync_api import expect

    alice = UserFactory(username="alice")
    team = TeamFactory(name="Platform", created_by=alice)
    design = make_design(team=team, author=alice, title="URL shortener")
    page = sign_in("alice")

    # The team's owner adds a role and takes it on.
    page.goto(live_server.url + team.get_absolute_url())
    page.fill("#team-roles input[name=name]", "security")
    page.get_by_role("button", name="Add role").click()
    expect(page.locator("#team-roles")).to_contain_text("Role “security” added.")
    page.locator("#team-roles button", has_text="Assign").click()
    expect(page.locator("#team-roles .role-holders")).to_contain_text("alice")

    # The section requires a security sign-off.
    page.goto(live_server.url + design.get_absolute_url())
    panel = "#signoff-who-is-your-customer"
    page.locator(f"{panel} a", has_text="Set owner and sign-offs").click()
    page.select_option(f"{panel} select[name=owner]", label="alice")
    page.locator(f"{panel} label", has_text="security").locator("input").check()
    page.get_by_role("button", name="Save sign-offs").click()
    expect(page.locator(panel)).to_contain_text("missing")
    expect(page.locator("#signoff-summary")).to_contain_text("any security")

    # Signing off shows who signed and on which version.
    page.locator(panel).get_by_role("button", name="Sign off as security").click()
    expect(page.locator(panel)).to_contain_text("signed off by alice (security) on version 0")
    expect(page.locator("#signoff-summary")).to_contain_text("Every required sign-off is given.")

    # An edit of the section resets it.
    body = open_editor(page, FIRST)
    body.fill("Teams calling our API.")
    page.locator(f"{FIRST} button[data-save]").click()
    expect(page.locator(f"{FIRST} .section-body")).to_contain_text("Teams calling our API.")
    expect(page.locator(panel)).to_contain_text("reset by an edit")
    page.reload()
    expect(page.locator("#signoff-summary")).to_contain_text("(reset by an edit)")
    assert page.page_errors == []
