"""Account journeys in the browser: a forgotten password reset by mail, and an address
confirmed from the link mailed at sign-up. Mail goes to Django's locmem outbox."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.browser import sign_in_page
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NEW_PASSWORD = "A-brand-new-pass-77"


def _link_in_last_mail(live_server) -> str:
    assert mail.outbox, "no mail was sent"
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    return live_server.url + re.sub(r"^https?://[^/]+", "", link)


def test_reset_a_forgotten_password_by_mail_then_sign_in_with_it(page, live_server):
    from playwright.sync_api import expect

    UserFactory(username="alice", email="alice@example.com")

    page.goto(live_server.url + reverse("accounts:login"))
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.locator("h2")).to_have_text("Forgot your password?")
    page.fill("input[name=email]", "Alice@Example.com")
    page.get_by_role("button", name="Mail me a link").click()
    expect(page.locator("h2")).to_have_text("Check your email")
    expect(page.locator("[data-reset-sent]")).to_contain_text("If an account uses that address")
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]

    page.goto(_link_in_last_mail(live_server))
    expect(page.locator("h2")).to_have_text("Set a new password")
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.locator("h2")).to_have_text("Password set")

    page.get_by_role("link", name="Sign in").last.click()
    sign_in_page(page, live_server, "alice", NEW_PASSWORD)
    expect(page.locator("h1")).to_have_text("Designs")
    assert page.page_errors == []


def test_an_unknown_address_gets_the_same_page_and_no_mail(page, live_server):
    from playwright.sync_api import expect

    page.goto(live_server.url + reverse("accounts:password_reset"))
    page.fill("input[name=email]", "nobody@example.com")
    page.get_by_role("button", name="Mail me a link").click()
    expect(page.locator("h2")).to_have_text("Check your email")
    expect(page.locator("[data-reset-sent]")).to_contain_text("If an account uses that address")
    assert mail.outbox == []


def test_sign_up_then_confirm_the_address_from_the_mailed_link(page, live_server):
    from playwright.sync_api import expect

    page.goto(live_server.url + reverse("accounts:signup"))
    page.fill("input[name=username]", "jane")
    page.fill("input[name=email]", "jane.doe@example.com")
    page.fill("input[name=password1]", "correct-horse-battery")
    page.fill("input[name=password2]", "correct-horse-battery")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".email-unverified")).to_contain_text("is not confirmed yet")

    page.goto(_link_in_last_mail(live_server))
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.locator(".messages")).to_contain_text("jane.doe@example.com is confirmed")
    expect(page.locator(".email-unverified")).to_have_count(0)
