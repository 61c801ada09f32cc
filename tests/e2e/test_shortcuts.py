"""Keyboard use: each shortcut in the browser, none while typing, the "?" dialog, and an
axe-core check of the main pages (no serious or critical violations)."""

import pytest
from django.urls import reverse

from designs import services
from tests.browser import sign_in_page
from tests.factories import TeamFactory, UserFactory, make_design

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

FIRST = "#section-who-is-your-customer"
SECOND = "#section-what-is-the-problem-this-solutions-is-trying-to-solve"


@pytest.fixture
def design():
    alice = UserFactory(username="alice")
    team = TeamFactory(name="Platform", created_by=alice)
    design = make_design(team=team, author=alice, title="Rate limiter")
    section = design.sections.get(position=1)
    services.section_update(
        section=section, body="Teams on our API.", base_version=0, edited_by=alice
    )
    return design


@pytest.fixture
def alice_page(design, sign_in, live_server):
    page = sign_in("alice")
    page.goto(live_server.url + design.get_absolute_url())
    page.wait_for_function("() => document.querySelector('[data-shortcuts-open]:not([hidden])')")
    return page


def _focused_id(page) -> str:
    return page.evaluate("() => document.activeElement && document.activeElement.id")


def test_question_mark_opens_the_list_and_esc_closes_it_returning_the_focus(alice_page):
    from playwright.sync_api import expect

    page = alice_page
    page.locator(".topbar a.brand").focus()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Next / previous section")
    # Modal: Tab stays inside the dialog.
    for _ in range(4):
        page.keyboard.press("Tab")
        assert page.evaluate("() => !!document.activeElement.closest('#shortcuts-dialog')")
    # Letters do nothing while it is open.
    page.keyboard.press("j")
    assert page.evaluate("() => !document.activeElement.closest('article.section')")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("() => document.activeElement.classList.contains('brand')")


def test_the_shortcuts_button_opens_the_list_and_close_returns_the_focus(alice_page):
    from playwright.sync_api import expect

    page = alice_page
    button = page.get_by_role("button", name="Keyboard shortcuts")
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    assert page.evaluate("() => document.activeElement.hasAttribute('data-shortcuts-open')")


def test_j_and_k_move_the_focus_from_section_to_section(alice_page):
    page = alice_page
    page.keyboard.press("j")
    assert _focused_id(page) == FIRST[1:]
    page.keyboard.press("j")
    assert _focused_id(page) == SECOND[1:]
    top = page.evaluate(f"() => document.querySelector('{SECOND}').getBoundingClientRect().top")
    assert 0 <= top < 50  # scrolled to the top of the window
    page.keyboard.press("k")
    assert _focused_id(page) == FIRST[1:]
    page.keyboard.press("k")
    assert _focused_id(page) == FIRST[1:]  # stays at the first


def test_e_edits_the_section_in_view_and_esc_cancels(alice_page):
    from playwright.sync_api import expect

    page = alice_page
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("e")
    body = page.locator(f"{SECOND} form.section-editor textarea[name=body]")
    expect(body).to_be_focused()
    page.keyboard.press("Escape")  # nothing typed: leaves without asking
    expect(page.locator(f"{SECOND} form.section-editor")).to_have_count(0)
    expect(page.locator(f"{SECOND} .section-actions")).to_be_visible()
    expect(page.locator(SECOND)).to_be_focused()


def test_esc_in_a_changed_editor_asks_before_leaving(alice_page):
    from playwright.sync_api import expect

    page = alice_page
    page.keyboard.press("j")
    page.keyboard.press("e")
    body = page.locator(f"{FIRST} textarea[name=body]")
    expect(body).to_be_focused()
    page.keyboard.type(" More.")
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", answer)
    page.keyboard.press("Escape")
    assert asked and "not saved" in asked[0]
    # Dismissed: still editing, nothing lost.
    expect(body).to_be_visible()
    assert "More." in body.input_value() and "Teams on our API." in body.input_value()


def test_c_opens_the_comment_box_and_ctrl_enter_sends_the_comment(alice_page, design):
    from playwright.sync_api import expect

    page = alice_page
    page.keyboard.press("j")
    page.keyboard.press("c")
    field = page.locator(f"{FIRST} details.comment-box textarea")
    expect(field).to_be_focused()
    page.keyboard.type("Which plans have limits?")
    page.keyboard.press("Control+Enter")
    expect(page.locator(f"{FIRST} .thread")).to_contain_text("Which plans have limits?")
    assert design.sections.get(position=1).comments.count() == 1


def test_esc_closes_the_comment_box_and_keeps_its_text(alice_page):
    from playwright.sync_api import expect

    page = alice_page
    page.keyboard.press("j")
    page.keyboard.press("c")
    page.keyboard.type("Half a thought")
    page.keyboard.press("Escape")
    box = page.locator(f"{FIRST} details.comment-box")
    expect(box).not_to_have_attribute("open", "")
    expect(box.locator("summary")).to_be_focused()
    expect(box.locator("textarea")).to_have_value("Half a thought")


def test_letters_do_nothing_while_typing(alice_page):
    from playwright.sync_api import expect

    page = alice_page
    page.keyboard.press("j")
    page.keyboard.press("c")
    field = page.locator(f"{FIRST} details.comment-box textarea")
    page.keyboard.type("jkecgd?/ kept")
    expect(field).to_have_value("jkecgd?/ kept")
    expect(page.locator(f"{FIRST} form.section-editor")).to_have_count(0)
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert "/designs/" in page.url
    # A select and a contenteditable (the live editor is one) are fields too.
    page.evaluate(
        """() => {
            const box = document.createElement('div');
            box.className = 'cm-editor';
            const content = document.createElement('div');
            content.contentEditable = 'true';
            content.id = 'fake-cm';
            box.appendChild(content);
            document.querySelector('.design-main').prepend(box);
        }"""
    )
    page.locator("#fake-cm").focus()
    page.keyboard.type("jk?gd")
    expect(page.locator("#fake-cm")).to_have_text("jk?gd")
    assert _focused_id(page) == "fake-cm"
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_g_then_d_goes_to_the_dashboard(alice_page, live_server):
    from playwright.sync_api import expect

    page = alice_page
    page.keyboard.press("g")
    page.keyboard.press("d")
    page.wait_for_url(live_server.url + reverse("designs:dashboard"))
    expect(page.locator("h1")).to_have_text("Designs")


def test_d_alone_does_nothing(alice_page):
    page = alice_page
    url = page.url
    page.keyboard.press("d")
    page.wait_for_timeout(200)
    assert page.url == url


def test_slash_focuses_the_search_box_in_the_navigation(alice_page):
    page = alice_page
    page.keyboard.press("/")
    assert _focused_id(page) == "site-search"
    page.keyboard.type("kafka")
    assert page.input_value("#site-search") == "kafka"  # the "/" was not typed
    assert page.page_errors == []


# axe-core on the main pages ----------------------------------------------------------------


def _serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {node['target']} {node.get('failureSummary', '')[:200]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
        for node in v["nodes"]
    ]


def test_main_pages_have_no_serious_accessibility_violations(design, browser, live_server):
    from tests.factories import add_comment, request_review

    bob = UserFactory(username="bob")
    request_review(design=design, reviewer=bob, requested_by=design.created_by)
    newer = make_design(team=design.team, author=design.created_by, title="Rate limiter v2")
    services.design_link_add(
        design=newer, target=design, kind="supersedes", added_by=design.created_by
    )
    add_comment(section=design.sections.get(position=1), author=bob, body="Which plans?")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        found = {}
        page.goto(live_server.url + reverse("accounts:login"))
        found["sign-in"] = _serious(page)
        sign_in_page(page, live_server, "alice")
        section_edit = reverse("designs:section_edit", args=[design.pk, "who-is-your-customer"])
        for name, path in {
            "dashboard": reverse("designs:dashboard"),
            "design": design.get_absolute_url(),
            "section edit": section_edit,
            "inbox": reverse("reviews:inbox"),
            "team": reverse("teams:detail", args=[design.team_id]),
            "related designs": reverse("designs:links", args=[design.pk]),
            "search": reverse("search:page") + "?q=limiter",
        }.items():
            page.goto(live_server.url + path)
            found[name] = _serious(page)
        page.goto(live_server.url + design.get_absolute_url())
        page.keyboard.press("?")
        found["shortcuts dialog"] = _serious(page)
    finally:
        context.close()
    assert {name: issues for name, issues in found.items() if issues} == {}


def test_slash_focuses_the_search_box_and_types_a_slash_while_typing(alice_page):
    from playwright.sync_api import expect

    page = alice_page
    search = page.locator("#site-search")
    page.keyboard.press("/")
    expect(search).to_be_focused()
    page.keyboard.type("a/b")  # in the box "/" is a character like any other
    expect(search).to_have_value("a/b")
    expect(search).to_be_focused()
    # In another field "/" types itself and leaves the focus where it is.
    page.locator(".topbar a.brand").focus()
    page.keyboard.press("j")
    page.keyboard.press("c")
    field = page.locator(f"{FIRST} details.comment-box textarea")
    expect(field).to_be_focused()
    page.keyboard.type("either/or")
    expect(field).to_have_value("either/or")
    expect(search).to_have_value("a/b")
    expect(field).to_be_focused()
