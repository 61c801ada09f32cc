"""Browser fixtures shared by every test that loads pages in Chromium (journeys, security):
Playwright driving Debian's Chromium against ``live_server``. Registered once, from
``tests/conftest.py``: a second registration would start a second Playwright in the same
thread, which its sync API refuses.

- ``browser``: one Chromium for the whole session.
- ``page``: a fresh context and page per test (own cookies and local storage).
- ``sign_in``: ``sign_in("alice")`` opens a new context, signs in through the form and
  returns its page; use it twice for two people (or two tabs of one person) at once.

Tests that use these need ``@pytest.mark.e2e`` and
``@pytest.mark.django_db(transaction=True, serialized_rollback=True)``: transactional so the
live server sees their data, serialized so every journey starts from the migrated data
whatever ran before it. Use the ``browser`` fixture rather than starting another
``sync_playwright()``: Playwright's sync API allows one per thread.
"""

import os
from collections.abc import Callable, Iterator

import pytest
from django.urls import reverse

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
PASSWORD = "pw-for-tests-1"  # what tests.factories.UserFactory sets
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


def _new_page(browser, **context_options):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **context_options)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.page_errors = []
    page.on("pageerror", lambda error: page.page_errors.append(str(error)))
    return context, page


@pytest.fixture
def page(browser) -> Iterator:
    context, page = _new_page(browser)
    yield page
    context.close()


def sign_in_page(page, live_server, username: str, password: str = PASSWORD):
    """Sign ``page`` in through the sign-in form and wait until it has left it."""
    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


@pytest.fixture
def sign_in(browser, live_server) -> Iterator[Callable]:
    contexts = []

    def _sign_in(username: str, password: str = PASSWORD, **context_options):
        context, page = _new_page(browser, **context_options)
        contexts.append(context)
        return sign_in_page(page, live_server, username, password)

    yield _sign_in
    for context in contexts:
        context.close()
