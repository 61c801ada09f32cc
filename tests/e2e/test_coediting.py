"""Co-editing a section in the browser (frontend/editor.js) against two real ASGI processes
that share PostgreSQL and Redis (tests/asgi_pair.py): people on different processes
converge, a process killed mid-typing loses nothing (the page reconnects, through a failover
proxy that stands for the load balancer, to the other process), text typed offline arrives
when the network returns, remote cursors carry names and colour classes, and nothing breaks
the Content-Security-Policy."""

import time
import uuid

import pytest
from django.urls import reverse
from playwright.sync_api import Error as PlaywrightError

from designs.models import Section
from designs.services import section_update
from tests import asgi_pair as pair
from tests.browser import TIMEOUT_MS, _new_page, sign_in_page
from tests.e2e.failover import FailoverProxy
from tests.factories import MembershipFactory, TeamFactory, UserFactory, make_design

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""
KEY = "who-is-your-customer"
asgi_pair = pair.asgi_pair  # the two-process fixture, used here by name


@pytest.fixture(autouse=True)
def _channel_layer_of_its_own(settings):
    """The processes fan out on a channel prefix of this test's own (asgi_pair passes it on),
    so concurrent runs on one Redis never hear each other."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": f"t{uuid.uuid4().hex[:12]}"},
        }
    }


@pytest.fixture
def people(db):
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    team = TeamFactory(name="Platform", created_by=alice)
    MembershipFactory(team=team, user=bob)
    design = make_design(team=team, author=alice, title="URL shortener")
    return alice, bob, design


@pytest.fixture
def open_page(browser):
    contexts = []

    def _open(server, username: str):
        context, page = _new_page(browser)
        contexts.append(context)
        page.console_csp = []
        page.on(
            "console",
            lambda message: (
                page.console_csp.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.add_init_script(COLLECT_VIOLATIONS)
        return sign_in_page(page, server, username)

    yield _open
    for context in contexts:
        context.close()


class Server:
    def __init__(self, url: str) -> None:
        self.url = url
        self.port = int(url.rsplit(":", 1)[1])


def servers(asgi_pair) -> list[Server]:
    return [Server(url) for url in asgi_pair.urls]


def open_editor(page, server, design, key: str = KEY):
    page.goto(server.url + reverse("designs:section_edit", args=[design.pk, key]))
    page.locator(".live-editor .cm-content").wait_for()
    wait_for_status(page, "saved")


def wait_for_status(page, state: str, timeout_ms: int = TIMEOUT_MS) -> None:
    page.locator(f"[data-live-status][data-state={state}]").wait_for(timeout=timeout_ms)


def editor_text(page) -> str:
    return page.evaluate(
        "document.querySelector('form[data-live-design]').liveSection.ytext.toString()"
    )


def violations(page) -> list[str]:
    return [*page.evaluate("window.__cspViolations || []"), *page.console_csp]


def type_at_end(page, text: str, delay: int = 0) -> None:
    content = page.locator(".live-editor .cm-content")
    content.focus()
    page.keyboard.press("Control+End")
    page.keyboard.type(text, delay=delay)


def stored_body(design, key: str = KEY) -> str:
    return Section.objects.get(design=design, key=key).body


def wait_until(check, timeout: float = 20, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_people_on_two_processes_converge(asgi_pair, open_page, people):
    alice_user, _, design = people
    section = Section.objects.get(design=design, key=KEY)
    section_update(
        section=section, body="Alice:\nBob:", base_version=section.version, edited_by=alice_user
    )
    one, two = servers(asgi_pair)
    alice = open_page(one, "alice")
    bob = open_page(two, "bob")
    open_editor(alice, one, design)
    open_editor(bob, two, design)
    alice.locator(".live-editor .cm-content").focus()
    alice.keyboard.press("Control+Home")
    alice.keyboard.press("End")
    bob.locator(".live-editor .cm-content").focus()
    bob.keyboard.press("Control+End")

    alice_words = [f"alice{i}" for i in range(12)]
    bob_words = [f"bob{i}" for i in range(12)]
    # Both type at once, each on a line: word by word in turn, neither waiting for the
    # other's words to arrive.
    for mine, theirs in zip(alice_words, bob_words, strict=True):
        alice.keyboard.type(f" {mine}")
        bob.keyboard.type(f" {theirs}")

    expected = "Alice: " + " ".join(alice_words) + "\nBob: " + " ".join(bob_words)

    def converged():
        a, b = editor_text(alice), editor_text(bob)
        return a == b == expected and a

    try:
        text = wait_until(converged, what="both pages to hold every word")
    except AssertionError:
        print("ALICE", editor_text(alice))
        print("BOB", editor_text(bob))
        print(asgi_pair.log(0), asgi_pair.log(1))
        raise
    wait_until(lambda: stored_body(design) == text, what="the stored body to converge")
    wait_for_status(alice, "saved")
    wait_for_status(bob, "saved")
    assert violations(alice) == violations(bob) == []
    assert alice.page_errors == bob.page_errors == []


def test_a_killed_process_loses_no_keystroke(asgi_pair, open_page, people):
    _, _, design = people
    one, two = servers(asgi_pair)
    proxy = FailoverProxy([one.port, two.port]).start()
    try:
        alice = open_page(proxy, "alice")
        bob = open_page(two, "bob")
        open_editor(alice, proxy, design)
        open_editor(bob, two, design)
        assert set(proxy.connections) == {one.port}

        words = [f"w{i:02d}" for i in range(40)]
        for i, word in enumerate(words):
            if i == 15:
                asgi_pair.kill(0)  # mid-typing: its unsaved share of the text is in no database
            type_at_end(alice, f" {word}", delay=10)

        wait_until(lambda: two.port in proxy.connections, what="a reconnect to the other process")
        wait_until(
            lambda: all(w in stored_body(design) for w in words),
            timeout=30,
            what="every word in the database",
        )
        wait_until(lambda: all(w in editor_text(bob) for w in words), what="bob to see them")
        wait_for_status(alice, "saved", timeout_ms=20_000)
        assert editor_text(alice) == stored_body(design)
        assert violations(alice) == []
    finally:
        proxy.stop()


def test_text_typed_offline_arrives_when_back_online(asgi_pair, open_page, people):
    _, _, design = people
    one, _ = servers(asgi_pair)
    alice = open_page(one, "alice")
    open_editor(alice, one, design)

    alice.context.set_offline(True)
    wait_for_status(alice, "offline")
    type_at_end(alice, " typed-while-offline")
    alice.wait_for_timeout(500)
    assert "typed-while-offline" not in stored_body(design)
    assert "kept in this browser" in alice.locator("[data-live-status]").inner_text()

    alice.context.set_offline(False)
    wait_until(
        lambda: "typed-while-offline" in stored_body(design), what="the offline text to arrive"
    )
    wait_for_status(alice, "saved")


def test_text_typed_offline_survives_a_reload(asgi_pair, open_page, people):
    _, _, design = people
    one, _ = servers(asgi_pair)
    alice = open_page(one, "alice")
    open_editor(alice, one, design)
    alice.context.set_offline(True)
    wait_for_status(alice, "offline")
    type_at_end(alice, " kept-in-indexeddb")
    alice.wait_for_timeout(300)  # IndexedDB writes are asynchronous
    # The page would warn before leaving; the test leaves anyway, as a crash would.
    alice.evaluate("window.critLiveEditor.editors.forEach((e) => e.destroy())")
    alice.context.set_offline(False)
    open_editor(alice, one, design)
    wait_until(lambda: "kept-in-indexeddb" in stored_body(design), what="the stored offline text")


def test_leaving_with_unsaved_text_asks_first(asgi_pair, open_page, people):
    _, _, design = people
    one, _ = servers(asgi_pair)
    alice = open_page(one, "alice")
    open_editor(alice, one, design)
    alice.context.set_offline(True)
    wait_for_status(alice, "offline")
    type_at_end(alice, " unsaved")
    dialogs = []
    alice.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    with pytest.raises(PlaywrightError):  # dismissed: the navigation is cancelled
        alice.goto(one.url + reverse("designs:dashboard"), wait_until="commit", timeout=3000)
    assert dialogs == ["beforeunload"]
    assert "unsaved" in editor_text(alice)


def test_remote_cursors_carry_names_and_a_colour_class(asgi_pair, open_page, people):
    _, _, design = people
    one, two = servers(asgi_pair)
    alice = open_page(one, "alice")
    bob = open_page(two, "bob")
    open_editor(alice, one, design)
    open_editor(bob, two, design)
    type_at_end(bob, " here")

    caret = alice.locator(".live-editor .cm-ySelectionCaret")
    caret.wait_for()
    assert caret.locator(".cm-ySelectionInfo").inner_text() == "bob"
    classes = caret.get_attribute("class").split()
    assert sum(c.startswith("cm-ycursor-c") for c in classes) == 1
    # Coloured by the class's CSS, with no inline style anywhere in the editor.
    colour = caret.evaluate("(el) => getComputedStyle(el).borderLeftColor")
    assert colour not in ("", "rgba(0, 0, 0, 0)")
    assert alice.locator(".live-editor [style*=color]").count() == 0
    # Bob's selection too.
    bob.keyboard.press("Shift+Home")
    alice.locator(".live-editor .cm-ySelection").first.wait_for()
    assert violations(alice) == violations(bob) == []
    assert alice.page_errors == bob.page_errors == []


def test_save_button_posts_the_live_text(asgi_pair, open_page, people):
    _, _, design = people
    one, _ = servers(asgi_pair)
    alice = open_page(one, "alice")
    alice.goto(one.url + design.get_absolute_url())
    alice.locator(f"#section-{KEY} .section-actions").get_by_role("link", name="Edit").click()
    alice.locator(".live-editor .cm-content").wait_for()
    wait_for_status(alice, "saved")
    type_at_end(alice, "Saved with the **button**")
    alice.locator(f"#section-{KEY} button[data-tab=preview]").click()
    alice.locator(f"#preview-{KEY} strong", has_text="button").wait_for()
    alice.locator(f"#section-{KEY} button[data-tab=write]").click()
    alice.locator(f"#section-{KEY} [data-save]").click()
    alice.locator(f"#section-{KEY} .section-body").wait_for()
    assert "Saved with the button" in alice.locator(f"#section-{KEY} .section-body").inner_text()
    assert "Saved with the **button**" in stored_body(design)
    assert violations(alice) == []
    assert alice.page_errors == []


@pytest.fixture
def slow_saves(settings):
    """Rooms that save only when left (set before asgi_pair starts the servers)."""
    settings.CRIT_REALTIME_SAVE_IDLE_SECONDS = 120
    settings.CRIT_REALTIME_SAVE_MAX_SECONDS = 120


def test_save_before_the_server_saved_is_at_once_and_never_doubles(
    slow_saves, asgi_pair, open_page, people
):
    """Save while the room has not saved the typing yet (a long debounce here; in life a
    co-author who keeps typing): the page saves at once, and the room's own later save
    (on leaving) does not add the same text again."""
    _, _, design = people
    one, _ = servers(asgi_pair)
    alice = open_page(one, "alice")
    open_editor(alice, one, design)
    type_at_end(alice, " Typed and saved once.")
    wait_for_status(alice, "saving")
    started = time.monotonic()
    alice.locator(f"#section-{KEY} [data-save]").click()
    alice.locator(f"#section-{KEY} .section-body").wait_for()
    assert time.monotonic() - started < 5  # no waiting for the room's save
    assert stored_body(design).count("Typed and saved once.") == 1
    alice.goto("about:blank")  # the last client leaves: the room saves what it holds
    time.sleep(2)
    assert stored_body(design).count("Typed and saved once.") == 1
    open_editor(alice, one, design)  # the live text, as the next room loads it
    assert editor_text(alice).count("Typed and saved once.") == 1
    assert alice.page_errors == []


def test_an_edit_over_the_size_limit_is_refused_with_a_message(asgi_pair, open_page, people):
    _, _, design = people
    one, _ = servers(asgi_pair)
    alice = open_page(one, "alice")
    open_editor(alice, one, design)
    before = stored_body(design)
    # A paste that would take the section past its 200 KB body limit.
    alice.evaluate(
        "document.querySelector('form[data-live-design]').liveSection.view"
        ".dispatch({changes: {from: 0, insert: 'x'.repeat(210000)}})"
    )
    wait_for_status(alice, "closed")
    assert "size limit" in alice.locator("[data-live-status]").inner_text()
    assert alice.locator(".live-editor .cm-content").get_attribute("contenteditable") == "false"
    alice.wait_for_timeout(2500)  # past the save delay: nothing of it was kept
    assert stored_body(design) == before
    assert violations(alice) == []


def test_a_draft_kept_by_the_plain_editor_joins_the_live_text(asgi_pair, open_page, people):
    """crit.js restores an unsaved draft into the text box; the live editor takes it in as
    an edit of the shared text and the old draft is dropped. Ctrl+S saves from the editor."""
    _, _, design = people
    one, _ = servers(asgi_pair)
    alice = open_page(one, "alice")
    section = Section.objects.get(design=design, key=KEY)
    alice.goto(one.url + design.get_absolute_url())
    draft_key = f"crit:draft:{design.pk}:{KEY}"
    draft = {
        "body": "From an old draft.",
        "state": "draft",
        "na_reason": "",
        "base_version": str(section.version),
        "saved_at": "2026-01-01T00:00:00Z",
    }
    alice.evaluate("([k, v]) => localStorage.setItem(k, JSON.stringify(v))", [draft_key, draft])
    open_editor(alice, one, design)
    wait_until(lambda: editor_text(alice) == "From an old draft.", what="the draft in the editor")
    assert alice.evaluate("(k) => localStorage.getItem(k)", draft_key) is None
    type_at_end(alice, " And more.")
    alice.keyboard.press("Control+s")
    alice.locator(f"#section-{KEY} .section-body").wait_for()
    assert stored_body(design) == "From an old draft. And more."
    assert violations(alice) == []
