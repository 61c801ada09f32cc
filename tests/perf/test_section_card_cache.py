"""The cached section cards change exactly when what they show changes: every kind of section
change, the comment counts, and what the viewer may do; and they carry each viewer's own
CSRF token."""

import re

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.urls import reverse

from designs import page as design_page
from designs import services as design_services
from designs.models import Section
from reviews import services
from tests.factories import UserFactory, add_comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def section(reviewed):
    return reviewed.sections.select_related("design").get(position=1)


def page(client, user, design) -> str:
    client.force_login(user)
    response = client.get(design.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def card_of(html: str, section) -> str:
    start = html.index(f'id="section-{section.key}"')
    return " ".join(html[start : html.index("</article>", start)].split())


def save(section, user, body: str, **extra) -> Section:
    section.refresh_from_db()
    return design_services.section_update(
        section=section, body=body, base_version=section.version, edited_by=user, **extra
    )


def test_a_section_save_shows_at_once(client, reviewed, section, alice):
    save(section, alice, "Version *one*")
    assert "<em>one</em>" in card_of(page(client, alice, reviewed), section)
    save(section, alice, "Version *two*")
    card = card_of(page(client, alice, reviewed), section)
    assert "<em>two</em>" in card and "<em>one</em>" not in card


def test_a_state_change_shows_at_once(client, reviewed, section, alice):
    saved = save(section, alice, "Some text")
    assert "state-draft" in card_of(page(client, alice, reviewed), section)
    save(saved, alice, "Some text", state=Section.State.NOT_APPLICABLE, na_reason="No users.")
    card = card_of(page(client, alice, reviewed), section)
    assert "state-not_applicable" in card and "No users." in card


def test_a_restore_shows_at_once(client, reviewed, section, alice):
    save(section, alice, "First *text*")
    latest = save(section, alice, "Second *text*")
    assert "Second" in card_of(page(client, alice, reviewed), section)
    design_services.section_restore(
        section=latest, version=latest.version - 1, base_version=latest.version, restored_by=alice
    )
    card = card_of(page(client, alice, reviewed), section)
    assert "First <em>text</em>" in card and "Second" not in card


def test_a_new_comment_changes_the_count_in_the_header(client, reviewed, section, alice, bob):
    assert "0 comments" in card_of(page(client, alice, reviewed), section)
    add_comment(section=section, author=bob, body="Why?", raise_issue=True)
    assert "1 comment, 1 open issue" in card_of(page(client, alice, reviewed), section)


def test_a_comment_through_the_fragment_view_shows_on_the_next_page(
    client, reviewed, section, alice
):
    page(client, alice, reviewed)
    url = reverse("reviews:comment_add", args=[reviewed.pk, section.key])
    client.post(url, {"body": "Fresh thought"})
    card = card_of(page(client, alice, reviewed), section)
    assert "Fresh thought" in card and "1 comment" in card


def test_a_reader_never_gets_the_members_edit_button(client, reviewed, section, alice, bob):
    edit_url = reverse("designs:section_edit", args=[reviewed.pk, section.key])
    assert edit_url in card_of(page(client, alice, reviewed), section)
    assert edit_url not in card_of(page(client, bob, reviewed), section)
    assert edit_url in card_of(page(client, alice, reviewed), section)


def test_the_section_fragment_is_the_cached_card(client, reviewed, section, alice):
    html = page(client, alice, reviewed)
    client.force_login(alice)
    fragment = client.get(
        reverse("designs:section", args=[reviewed.pk, section.key]), HTTP_HX_REQUEST="true"
    ).content.decode()
    # Only the CSRF tokens differ from one response to the next.
    token = re.compile(r'value="[^"]{64}"')
    assert token.sub("", card_of(fragment, section)) == token.sub("", card_of(html, section))


def test_the_cache_is_used_between_changes(client, reviewed, section, alice, monkeypatch):
    page(client, alice, reviewed)
    # Not through a service and keeping the version: the cached card is still served.
    Section.objects.filter(pk=section.pk).update(body_html="<p>behind the services' back</p>")
    # The whole page is rendered anew (as after a release), so what is served from the
    # cache is the card itself, not the page around it.
    monkeypatch.setattr(design_page, "release_digest", lambda: "the next release")
    attached = []
    attach = design_page.section_cards_attach
    monkeypatch.setattr(
        design_page, "section_cards_attach", lambda *args: attached.append(1) or attach(*args)
    )
    html = page(client, alice, reviewed)
    assert attached == [1]  # the page was rendered, and asked for its cards
    assert "behind the services" not in card_of(html, section)


def test_every_card_form_carries_the_viewers_own_csrf_token(client, reviewed, section, bob):
    add_comment(section=section, author=bob, body="A bug", raise_issue=True)
    carol = UserFactory(username="carol")
    services.review_request(design=reviewed, reviewer=carol, requested_by=reviewed.created_by)
    for user in (bob, carol, bob):
        client.logout()
        html = page(client, user, reviewed)
        secret = client.cookies["csrftoken"].value
        tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', card_of(html, section))
        assert len(tokens) > 1
        assert {_unmask_cipher_token(t) for t in tokens} == {secret}


def test_the_page_with_an_open_editor_shows_every_other_card_once(client, reviewed, alice):
    sections = list(reviewed.sections.order_by("position"))
    client.force_login(alice)
    url = reverse("designs:section_edit", args=[reviewed.pk, sections[0].key])
    html = client.get(url).content.decode()
    assert 'class="section-editor"' in html
    for section in sections:
        assert html.count(f'id="section-{section.key}"') == 1
    assert html.count("<article") == len(sections)
