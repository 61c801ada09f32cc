"""The cached threads panels change exactly when what they show changes, and never carry one
viewer's CSRF token or buttons to another."""

import re
from datetime import timedelta

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.utils import timezone

from designs import page as design_page
from designs import services as design_services
from reviews import fragments, services
from reviews.models import Comment
from tests.factories import UserFactory, add_comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def section(reviewed):
    return reviewed.sections.select_related("design").get(position=1)


@pytest.fixture
def thread(section, bob):
    return add_comment(section=section, author=bob, body="Where do the **keys** live?")


def page(client, user, design) -> str:
    client.force_login(user)
    response = client.get(design.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def threads_of(html: str, section) -> str:
    start = html.index(f'<div class="threads" id="threads-{section.key}">')
    return " ".join(html[start : html.index('<details class="comment-box"', start)].split())


def test_a_new_comment_shows_at_once(client, reviewed, section, alice, bob, thread):
    page(client, alice, reviewed)
    add_comment(section=section, author=bob, body="And the TTL?")
    assert "And the TTL?" in threads_of(page(client, alice, reviewed), section)


def test_a_new_reply_shows_at_once(client, reviewed, section, alice, bob, thread):
    page(client, alice, reviewed)
    services.comment_reply(parent=thread, author=alice, body="In Redis.")
    html = threads_of(page(client, alice, reviewed), section)
    assert "In Redis." in html and "1 reply" in html


def test_an_edit_shows_at_once(client, reviewed, section, alice, bob, thread):
    page(client, alice, reviewed)
    services.comment_edit(comment=thread, edited_by=bob, body="Where do the *ids* live?")
    html = threads_of(page(client, alice, reviewed), section)
    assert "<em>ids</em>" in html and "keys" not in html and ">edited<" in html


def test_a_deleted_reply_goes_and_a_deleted_thread_leaves_a_tombstone(
    client, reviewed, section, alice, bob, thread
):
    reply = services.comment_reply(parent=thread, author=alice, body="Gone soon")
    assert "Gone soon" in page(client, alice, reviewed)
    services.comment_delete(comment=reply, deleted_by=alice)
    assert "Gone soon" not in page(client, alice, reviewed)
    services.comment_reply(parent=thread, author=alice, body="Stays")
    page(client, bob, reviewed)
    services.comment_delete(comment=thread, deleted_by=bob)
    html = threads_of(page(client, bob, reviewed), section)
    assert "This comment was deleted." in html and "Stays" in html and "keys" not in html


def test_an_issue_moving_shows_at_once(client, reviewed, section, alice, bob):
    issue = add_comment(section=section, author=bob, body="No rate limit", raise_issue=True)
    assert "Issue: open" in threads_of(page(client, alice, reviewed), section)
    services.issue_status_change(comment=issue, to_status="fixed", changed_by=alice)
    html = threads_of(page(client, alice, reviewed), section)
    assert "Issue: fixed" in html and "alice marked it fixed" in html
    assert "Reopen issue" in html and "Mark fixed" not in html


def test_resolving_and_unresolving_show_at_once(client, reviewed, section, alice, bob, thread):
    page(client, alice, reviewed)
    services.thread_resolve(comment=thread, resolved_by=alice)
    html = threads_of(page(client, alice, reviewed), section)
    assert "Resolved by alice" in html and "Unresolve" in html
    services.thread_resolve(comment=thread, resolved_by=alice, resolved=False)
    html = threads_of(page(client, alice, reviewed), section)
    assert "Resolved by" not in html and ">Resolve<" in html


def test_a_new_section_version_marks_comments_outdated(
    client, reviewed, section, alice, bob, thread
):
    assert "outdated" not in threads_of(page(client, alice, reviewed), section)
    design_services.section_update(
        section=section, body="Rewritten", base_version=section.version, edited_by=alice
    )
    html = threads_of(page(client, alice, reviewed), section)
    assert "outdated" in html and f"from={section.version}&amp;to={section.version + 1}" in html


def test_each_viewer_sees_only_their_own_buttons(client, reviewed, section, alice, bob, thread):
    issue = add_comment(section=section, author=bob, body="A bug", raise_issue=True)
    member = threads_of(page(client, alice, reviewed), section)
    raiser = threads_of(page(client, bob, reviewed), section)
    carol = UserFactory(username="carol")
    services.review_request(design=reviewed, reviewer=carol, requested_by=alice)
    other_reader = threads_of(page(client, carol, reviewed), section)
    edit = f"/comments/{thread.pk}/edit/"
    assert edit in raiser and edit not in member and edit not in other_reader
    assert "Mark fixed" in member and "Mark fixed" not in raiser
    assert "Drop issue" in raiser and "Drop issue" not in other_reader
    assert f"/comments/{issue.pk}/issue/" not in other_reader


def test_every_form_carries_the_viewers_own_csrf_token(client, reviewed, section, alice, bob):
    add_comment(section=section, author=bob, body="A bug", raise_issue=True)
    for user in (alice, bob, alice):
        client.logout()
        html = page(client, user, reviewed)
        secret = client.cookies["csrftoken"].value
        tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert len(tokens) > 3
        assert {_unmask_cipher_token(t) for t in tokens} == {secret}


def test_the_cache_is_used_between_changes(
    client, reviewed, section, alice, bob, thread, monkeypatch
):
    page(client, alice, reviewed)
    # Not through a service, and keeping updated_at: the cached panel is still served.
    Comment.objects.filter(pk=thread.pk).update(
        body_html="<p>changed behind the services' back</p>"
    )
    # The page and its section cards are rendered anew (as after a release that changed the
    # cards' templates), so what is served from the cache is the threads panel itself.
    monkeypatch.setattr(design_page, "release_digest", lambda: "the next release")
    monkeypatch.setattr(design_page, "_cards_digest", lambda panels: "next-cards")
    asked = []
    attach = fragments.threads_html_attach
    monkeypatch.setattr(
        fragments, "threads_html_attach", lambda **kwargs: asked.append(1) or attach(**kwargs)
    )
    html = threads_of(page(client, alice, reviewed), section)
    assert asked == [1]  # the cards were rendered, and asked for their threads panels
    assert "behind the services" not in html and "keys" in html


def test_ago_phrases_are_served_at_most_one_unit_late():
    now = timezone.now()
    ages = {timedelta(minutes=5): 60, timedelta(days=2): 3600, timedelta(days=30): 86400}
    for age, fresh_for in ages.items():
        assert fragments._fresh_for([now - age, now - timedelta(days=60)], now) == fresh_for
    assert fragments._fresh_for([], now) == 86400
