"""Comments on a passage and suggested edits in the browser: select text, comment, see it
highlighted; suggest an edit from the keyboard; the author applies it."""

import pytest

from designs import services as design_services
from tests.factories import TeamFactory, UserFactory, make_design, request_review

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

KEY = "how-to-scale-the-db"
TEXT = "We shard by **tenant**.\n\nReads go to the replicas; writes go to the primary."


@pytest.fixture
def design_url(live_server) -> str:
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    team = TeamFactory(name="Platform", created_by=alice)
    design = make_design(team=team, author=alice, title="URL shortener")
    section = design.sections.get(key=KEY)
    design_services.section_update(
        section=section, body=TEXT, base_version=section.version, edited_by=alice
    )
    request_review(design=design, reviewer=bob, requested_by=alice)
    return live_server.url + design.get_absolute_url()


SELECT = """([key, words]) => {
  const body = document.querySelector(`#section-${key} .section-body`);
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const at = node.data.indexOf(words);
    if (at !== -1) {
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + words.length);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      return true;
    }
  }
  return false;
}"""


def test_select_comment_highlight_suggest_and_apply(sign_in, design_url):
    from playwright.sync_api import expect

    threads, card = f"#threads-{KEY}", f"#section-{KEY}"
    bob = sign_in("bob")
    bob.goto(design_url)

    # bob selects a passage: a button appears beside it.
    assert bob.evaluate(SELECT, [KEY, "Reads go to the replicas"])
    button = bob.get_by_role("button", name="Comment on this passage")
    expect(button).to_be_visible()
    button.click()
    expect(bob.locator(f"{threads} .passage-chosen .passage-quote")).to_have_text(
        "Reads go to the replicas"
    )
    bob.locator(f"{threads} .comment-box textarea[name=body]").fill(
        "Which replicas, in which region?"
    )
    bob.locator(f"{threads} .comment-box button[type=submit]").click()

    thread = bob.locator(f"{threads} .thread.on-passage").first
    expect(thread.locator(".passage-quote")).to_have_text("Reads go to the replicas")
    # The passage is highlighted in the section while the thread is open.
    mark = bob.locator(f"{card} .section-body mark.passage-highlight")
    expect(mark).to_have_text("Reads go to the replicas")
    thread.locator("summary").first.click()  # closed: no highlight
    expect(mark).to_have_count(0)
    thread.locator("summary").first.click()
    expect(mark).to_have_count(1)

    # A passage with Markdown in it is offered as written; dropping it offers the section.
    assert bob.evaluate(SELECT, [KEY, "We shard by "])
    bob.evaluate(
        """() => { const s = window.getSelection(); s.extend(
             document.querySelector('#section-how-to-scale-the-db .section-body strong')
             .nextSibling, 1); }"""
    )
    bob.get_by_role("button", name="Comment on this passage").click()
    bob.locator(f"{threads} .suggest-box summary").click()
    replacement = bob.locator(f"{threads} textarea[name=replacement]")
    expect(replacement).to_have_value("We shard by **tenant**.")
    bob.locator(f"{threads} .passage-clear").click()
    expect(replacement).to_have_value(TEXT)
    expect(bob.locator(f"{threads} .passage-chosen")).to_be_hidden()

    # bob suggests an edit of another passage from the keyboard ("c").
    assert bob.evaluate(SELECT, [KEY, "writes go to the primary"])
    bob.keyboard.press("c")
    expect(bob.locator(f"{threads} .comment-box textarea[name=body]")).to_be_focused()
    bob.locator(f"{threads} .comment-box textarea[name=body]").fill("We say leader.")
    expect(bob.locator(f"{threads} .suggest-target")).to_have_text("the passage")
    bob.locator(f"{threads} textarea[name=replacement]").fill("writes go to the leader")
    bob.locator(f"{threads} .suggest-box").get_by_role("button", name="Suggest").click()
    suggestion = bob.locator(f"{threads} .suggestion")
    expect(suggestion.locator("del")).to_have_text("primary")
    expect(suggestion.locator("ins")).to_have_text("leader")
    expect(suggestion.get_by_role("button", name="Apply suggestion")).to_have_count(0)

    # alice applies it: a new version of the section, crediting bob.
    alice = sign_in("alice")
    alice.goto(design_url)
    alice.locator(f"{threads} .suggestion").get_by_role("button", name="Apply suggestion").click()
    expect(alice.locator(f"{card} .section-body")).to_contain_text(
        "Reads go to the replicas; writes go to the leader."
    )
    expect(alice.locator(f"{threads} .suggestion-meta")).to_contain_text(
        "suggested by bob, applied by alice"
    )
    # bob's first thread is still on its passage after the edit.
    expect(alice.locator(f"{card} .section-body mark.passage-highlight").first).to_have_text(
        "Reads go to the replicas"
    )
