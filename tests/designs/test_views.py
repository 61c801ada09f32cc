"""Design pages over HTTP: who may see and do what, bad input, and the htmx fragments."""

import pytest
from django.urls import reverse

from designs import services
from designs.models import Design, Revision, Section, Template
from tests.factories import TeamFactory, UserFactory, make_design

pytestmark = pytest.mark.django_db

KEY = "who-is-your-customer"
HTMX = {"HTTP_HX_REQUEST": "true"}


def _url(name, design, key=KEY):
    return reverse(f"designs:{name}", args=[design.pk, key])


def _save(design, body, user, key=KEY):
    section = design.sections.get(key=key)
    return services.section_update(
        section=section, body=body, base_version=section.version, edited_by=user
    )


@pytest.fixture
def reader(design):
    user = UserFactory(username="reader")
    services.design_reader_grant(design=design, user=user)
    return user


# Outsiders get 404 everywhere ---------------------------------------------------------------


def test_outsider_gets_404_on_design_page(client, design, outsider):
    client.force_login(outsider)
    assert client.get(design.get_absolute_url()).status_code == 404


def test_outsider_gets_404_on_section_fragment(client, design, outsider):
    client.force_login(outsider)
    assert client.get(_url("section", design), **HTMX).status_code == 404


def test_outsider_gets_404_on_section_editor(client, design, outsider):
    client.force_login(outsider)
    assert client.get(_url("section_edit", design)).status_code == 404


def test_outsider_gets_404_when_saving_a_section(client, design, outsider):
    client.force_login(outsider)
    response = client.post(_url("section_edit", design), {"body": "x", "base_version": 0})
    assert response.status_code == 404
    assert design.sections.get(key=KEY).version == 0


def test_outsider_gets_404_on_history(client, design, outsider, alice):
    _save(design, "text", alice)
    client.force_login(outsider)
    assert client.get(_url("section_history", design)).status_code == 404


def test_outsider_gets_404_on_diff(client, design, outsider, alice):
    _save(design, "text", alice)
    client.force_login(outsider)
    assert client.get(_url("section_diff", design), {"from": 0, "to": 1}).status_code == 404


def test_outsider_gets_404_on_restore(client, design, outsider, alice):
    _save(design, "one", alice)
    _save(design, "two", alice)
    client.force_login(outsider)
    response = client.post(_url("section_restore", design), {"version": 1, "base_version": 2})
    assert response.status_code == 404
    assert design.sections.get(key=KEY).version == 2


def test_outsider_gets_404_on_preview(client, design, outsider):
    client.force_login(outsider)
    response = client.post(_url("section_preview", design), {"body": "x", "base_version": 0})
    assert response.status_code == 404


def test_outsider_gets_404_on_design_settings(client, design, outsider):
    client.force_login(outsider)
    assert client.get(reverse("designs:edit", args=[design.pk])).status_code == 404


def test_unknown_section_key_is_404(client, design, alice):
    client.force_login(alice)
    assert client.get(_url("section", design, key="nope")).status_code == 404


# Readers (not in the team) read but do not write --------------------------------------------


def test_reader_sees_the_design_page_without_edit_buttons(client, design, reader):
    client.force_login(reader)
    response = client.get(design.get_absolute_url())
    assert response.status_code == 200
    assert _url("section_edit", design).encode() not in response.content


def test_reader_gets_403_on_section_editor(client, design, reader):
    client.force_login(reader)
    assert client.get(_url("section_edit", design)).status_code == 403


def test_reader_gets_403_when_saving(client, design, reader):
    client.force_login(reader)
    response = client.post(_url("section_edit", design), {"body": "x", "base_version": 0})
    assert response.status_code == 403
    assert design.sections.get(key=KEY).version == 0


def test_reader_gets_403_on_restore(client, design, reader, alice):
    _save(design, "one", alice)
    _save(design, "two", alice)
    client.force_login(reader)
    response = client.post(_url("section_restore", design), {"version": 1, "base_version": 2})
    assert response.status_code == 403


def test_reader_gets_403_on_design_settings(client, design, reader):
    client.force_login(reader)
    assert client.get(reverse("designs:edit", args=[design.pk])).status_code == 403


def test_reader_can_open_history_and_diff(client, design, reader, alice):
    _save(design, "one", alice)
    client.force_login(reader)
    assert client.get(_url("section_history", design)).status_code == 200
    assert client.get(_url("section_diff", design)).status_code == 200


# Anonymous visitors -----------------------------------------------------------------------


def test_anonymous_visitor_of_the_home_page_lands_on_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")


def test_anonymous_visitor_of_a_design_is_sent_to_sign_in(client, design):
    response = client.get(design.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")


def test_anonymous_save_is_sent_to_sign_in_and_changes_nothing(client, design):
    response = client.post(_url("section_edit", design), {"body": "x", "base_version": 0})
    assert response.status_code == 302
    assert design.sections.get(key=KEY).version == 0


# GET never changes anything ---------------------------------------------------------------


def test_restore_refuses_get(client, design, alice):
    _save(design, "one", alice)
    client.force_login(alice)
    response = client.get(_url("section_restore", design), {"version": 1, "base_version": 1})
    assert response.status_code == 405


def test_editor_get_with_query_parameters_saves_nothing(client, design, alice):
    client.force_login(alice)
    response = client.get(_url("section_edit", design), {"body": "x", "base_version": 0})
    assert response.status_code == 200
    assert design.sections.get(key=KEY).version == 0


def test_preview_refuses_get(client, design, alice):
    client.force_login(alice)
    assert client.get(_url("section_preview", design), {"body": "x"}).status_code == 405


# Editing ----------------------------------------------------------------------------------


def test_plain_form_post_saves_and_redirects_to_the_section(client, design, alice):
    client.force_login(alice)
    response = client.post(
        _url("section_edit", design),
        {"body": "No JavaScript needed", "state": "answered", "base_version": 0},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#section-{KEY}")
    section = design.sections.get(key=KEY)
    assert (section.body, section.state, section.version) == ("No JavaScript needed", "answered", 1)


def test_plain_editor_link_opens_the_editor_inside_the_whole_page(client, design, alice):
    client.force_login(alice)
    response = client.get(_url("section_edit", design))
    assert response.status_code == 200
    assert b'class="section-editor"' in response.content
    assert b"<html" in response.content


def test_htmx_editor_is_a_fragment(client, design, alice):
    client.force_login(alice)
    response = client.get(_url("section_edit", design), **HTMX)
    assert b'class="section-editor"' in response.content
    assert b"<html" not in response.content


def test_htmx_save_returns_the_card_and_refreshes_coverage_out_of_band(client, design, alice):
    client.force_login(alice)
    response = client.post(
        _url("section_edit", design),
        {"body": "**Answer**", "state": "answered", "base_version": 0},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>Answer</strong>" in html
    assert 'id="toc-coverage" hx-swap-oob="true"' in html
    assert f'id="toc-{KEY}"' in html
    assert "1 of 17 sections covered" in html


def test_conflicting_save_shows_both_texts_and_keeps_mine(client, design, alice, team):
    _save(design, "Their text", alice)
    client.force_login(alice)
    response = client.post(
        _url("section_edit", design),
        {"body": "My text", "state": "draft", "base_version": 0},
        **HTMX,
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Their text" in html
    assert "My text" in html
    assert 'name="base_version" value="1"' in html
    assert design.sections.get(key=KEY).body == "Their text"


def test_conflict_without_javascript_shows_the_whole_page_with_both_texts(client, design, alice):
    _save(design, "Their text", alice)
    client.force_login(alice)
    response = client.post(
        _url("section_edit", design), {"body": "My text", "state": "draft", "base_version": 0}
    )
    assert response.status_code == 409
    assert b"<html" in response.content
    assert b"Their text" in response.content
    assert b"My text" in response.content


def test_a_stale_form_save_that_does_not_overlap_is_merged_and_says_so(client, design, alice):
    _save(design, "one\ntwo\nthree\n", alice)
    _save(design, "ONE\ntwo\nthree\n", alice)
    client.force_login(alice)
    response = client.post(
        _url("section_edit", design),
        # A browser sends CRLF; the merge sees the text as saved (LF).
        {"body": "one\r\ntwo\r\nTHREE\r\n", "state": "draft", "base_version": 1},
        follow=True,
    )
    assert response.status_code == 200
    assert "both were merged and saved as version 3" in response.content.decode()
    section = design.sections.get(key=KEY)
    assert (section.body, section.version) == ("ONE\ntwo\nTHREE\n", 3)


def test_a_stale_htmx_save_that_merges_reloads_the_page(client, design, alice):
    _save(design, "one\ntwo\nthree\n", alice)
    _save(design, "ONE\ntwo\nthree\n", alice)
    client.force_login(alice)
    response = client.post(
        _url("section_edit", design),
        {"body": "one\ntwo\nTHREE\n", "state": "draft", "base_version": 1},
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == design.sections.get(key=KEY).get_absolute_url()
    assert design.sections.get(key=KEY).body == "ONE\ntwo\nTHREE\n"


def test_a_stale_form_save_that_overlaps_still_shows_the_conflict(client, design, alice):
    _save(design, "one\ntwo\nthree\n", alice)
    _save(design, "one\nTWO\nthree\n", alice)
    client.force_login(alice)
    response = client.post(
        _url("section_edit", design),
        {"body": "one\n2\nthree\n", "state": "draft", "base_version": 1},
        **HTMX,
    )
    assert response.status_code == 409
    assert 'name="base_version" value="2"' in response.content.decode()
    assert design.sections.get(key=KEY).body == "one\nTWO\nthree\n"


def test_not_applicable_without_reason_is_400_with_a_message(client, design, alice):
    client.force_login(alice)
    response = client.post(
        _url("section_edit", design),
        {"body": "", "state": "not_applicable", "na_reason": "", "base_version": 0},
        **HTMX,
    )
    assert response.status_code == 400
    assert b"Say why this section does not apply." in response.content
    assert design.sections.get(key=KEY).version == 0


def test_not_applicable_with_reason_counts_as_covered(client, design, alice):
    client.force_login(alice)
    client.post(
        _url("section_edit", design),
        {"body": "", "state": "not_applicable", "na_reason": "No users", "base_version": 0},
    )
    design.refresh_from_db()
    assert design.covered_count == 1
    assert design.sections.get(key=KEY).state == Section.State.NOT_APPLICABLE


def test_missing_base_version_is_400_with_a_message(client, design, alice):
    client.force_login(alice)
    response = client.post(_url("section_edit", design), {"body": "x", "state": "draft"}, **HTMX)
    assert response.status_code == 400
    assert b"missing the version it was based on" in response.content


def test_control_characters_are_400_with_a_message(client, design, alice):
    client.force_login(alice)
    response = client.post(
        _url("section_edit", design),
        {"body": "bell\x07", "state": "draft", "base_version": 0},
        **HTMX,
    )
    assert response.status_code == 400
    assert b"Control character U+0007" in response.content


def test_null_characters_are_400_not_500(client, design, alice):
    client.force_login(alice)
    response = client.post(
        _url("section_edit", design), {"body": "nul\x00", "state": "draft", "base_version": 0}
    )
    assert response.status_code == 400


def test_an_unknown_state_is_400(client, design, alice):
    client.force_login(alice)
    response = client.post(
        _url("section_edit", design), {"body": "x", "state": "done", "base_version": 0}, **HTMX
    )
    assert response.status_code == 400


def test_preview_renders_sanitised_markdown(client, design, alice):
    client.force_login(alice)
    response = client.post(
        _url("section_preview", design),
        {"body": "| a |\n|---|\n| 1 |\n\n<script>x</script>", "state": "draft", "base_version": 0},
        **HTMX,
    )
    assert response.status_code == 200
    assert b"<table>" in response.content
    assert b"<script>" not in response.content
    assert design.sections.get(key=KEY).version == 0


def test_preview_without_javascript_shows_the_editor_with_the_preview(client, design, alice):
    client.force_login(alice)
    response = client.post(
        _url("section_edit", design),
        {"body": "# Title", "state": "draft", "base_version": 0, "preview": "1"},
    )
    assert response.status_code == 200
    assert b"<h1>Title</h1>" in response.content
    assert design.sections.get(key=KEY).version == 0


# History, diff, restore -------------------------------------------------------------------


def test_history_lists_folded_entries(client, design, alice):
    for text in ("one", "two", "three"):
        _save(design, text, alice)
    client.force_login(alice)
    response = client.get(_url("section_history", design))
    assert b"3 saves, v1\xe2\x80\x93v3" in response.content


def test_diff_shows_word_level_changes(client, design, alice):
    _save(design, "the quick fox", alice)
    _save(design, "the slow fox", alice)
    client.force_login(alice)
    response = client.get(_url("section_diff", design), {"from": 1, "to": 2})
    assert response.status_code == 200
    assert b"<del>quick</del>" in response.content
    assert b"<ins>slow</ins>" in response.content


def test_diff_with_words_for_versions_is_400(client, design, alice):
    client.force_login(alice)
    response = client.get(_url("section_diff", design), {"from": "one", "to": "2"})
    assert response.status_code == 400
    assert b"whole numbers" in response.content


def test_diff_to_a_missing_version_is_404(client, design, alice):
    client.force_login(alice)
    assert client.get(_url("section_diff", design), {"from": 0, "to": 7}).status_code == 404


def test_restore_adds_a_new_version_and_redirects(client, design, alice):
    _save(design, "one", alice)
    _save(design, "two", alice)
    client.force_login(alice)
    response = client.post(_url("section_restore", design), {"version": 1, "base_version": 2})
    assert response.status_code == 302
    section = design.sections.get(key=KEY)
    assert (section.version, section.body) == (3, "one")


def test_restore_without_a_version_is_400_with_a_message(client, design, alice):
    _save(design, "one", alice)
    client.force_login(alice)
    response = client.post(_url("section_restore", design), {"base_version": 1})
    assert response.status_code == 400
    assert b"Pick a version to restore." in response.content


def test_restore_from_a_stale_page_is_409_and_restores_nothing(client, design, alice):
    _save(design, "one", alice)
    _save(design, "two", alice)
    client.force_login(alice)
    response = client.post(_url("section_restore", design), {"version": 1, "base_version": 1})
    assert response.status_code == 409
    assert b"nothing was restored" in response.content
    assert Revision.objects.filter(section__design=design).count() == 2


# Creating and editing designs -------------------------------------------------------------


def test_create_design_in_my_team(client, team, alice):
    client.force_login(alice)
    template = Template.objects.get(is_default=True)
    response = client.post(
        reverse("designs:create"),
        {"team": team.pk, "template": template.pk, "title": "Chat", "summary": "Messages"},
    )
    design = Design.objects.get(title="Chat")
    assert response.status_code == 302
    assert response["Location"] == design.get_absolute_url()
    assert design.sections.count() == 17


def test_create_design_in_a_team_i_am_not_in_is_400(client, team, outsider):
    TeamFactory(created_by=outsider)
    client.force_login(outsider)
    response = client.post(
        reverse("designs:create"), {"team": team.pk, "template": 1, "title": "Sneaky"}
    )
    assert response.status_code == 400
    assert not Design.objects.filter(title="Sneaky").exists()


def test_create_design_without_a_title_is_400_with_a_message(client, team, alice):
    client.force_login(alice)
    response = client.post(reverse("designs:create"), {"team": team.pk, "title": ""})
    assert response.status_code == 400
    assert b"This field is required." in response.content


def test_without_a_team_new_design_sends_me_to_teams(client, outsider):
    client.force_login(outsider)
    response = client.get(reverse("designs:create"))
    assert response.status_code == 302
    assert response["Location"] == reverse("teams:list")


def test_edit_title_and_summary(client, design, alice):
    client.force_login(alice)
    response = client.post(
        reverse("designs:edit", args=[design.pk]), {"title": "Shortener v2", "summary": "New"}
    )
    assert response.status_code == 302
    design.refresh_from_db()
    assert design.title == "Shortener v2"


# Dashboard --------------------------------------------------------------------------------


def test_dashboard_lists_my_designs_with_coverage_and_last_editor(client, design, alice):
    section = design.sections.get(key=KEY)
    services.section_update(
        section=section, body="x", state="answered", base_version=0, edited_by=alice
    )
    client.force_login(alice)
    response = client.get("/")
    html = " ".join(response.content.decode().split())
    assert "URL shortener" in html
    assert "Platform" in html
    # One section of 17 answered: 6%, and not merely a number that ends in 0%.
    assert design.sections.count() == 17
    assert 'value="1"></meter> 6%' in html
    assert "by alice" in html


def test_dashboard_does_not_show_other_teams_designs(client, design, outsider):
    make_design(author=outsider, title="Mallory's plan")
    client.force_login(outsider)
    html = client.get("/").content.decode()
    assert "Mallory&#x27;s plan" in html
    assert "URL shortener" not in html


def test_a_reviewer_can_filter_the_dashboard_by_the_teams_of_designs_they_review(
    client, design, outsider
):
    own = make_design(author=outsider, title="Own plan")
    services.design_reader_grant(design=design, user=outsider)  # asked to review it
    TeamFactory(name="Hidden team")
    client.force_login(outsider)
    html = client.get("/").content.decode()
    assert f'<option value="{design.team_id}" >Platform</option>' in html
    assert f'<option value="{own.team_id}" >' in html
    assert "Hidden team" not in html
    listed = client.get("/", {"team": design.team_id}).content.decode()
    assert "URL shortener" in listed
    assert "Own plan" not in listed


def test_dashboard_filters_by_status(client, team, alice):
    make_design(team=team, author=alice, title="Drafty")
    reviewed = make_design(team=team, author=alice, title="Reviewed")
    services.design_status_set(design=reviewed, status=Design.Status.IN_REVIEW)
    client.force_login(alice)
    html = client.get("/", {"status": "in_review"}).content.decode()
    assert "Reviewed" in html
    assert "Drafty" not in html


def test_dashboard_refuses_nonsense_filters_with_a_message(client, design, alice):
    client.force_login(alice)
    response = client.get("/", {"team": "abc", "status": "nope"})
    assert response.status_code == 400
    assert b"That filter is not one Crit knows" in response.content


def test_dashboard_shows_the_last_page_for_a_nonsense_page_number(client, design, alice):
    client.force_login(alice)
    response = client.get("/", {"page": "zz"})
    assert response.status_code == 200
    assert b"URL shortener" in response.content


def test_dashboard_paginates_25_per_page(client, team, alice):
    for n in range(27):
        make_design(team=team, author=alice, title=f"Design {n:02}")
    client.force_login(alice)
    first = client.get("/").content.decode()
    second = client.get("/", {"page": 2}).content.decode()
    assert "Page 1 of 2" in first
    assert "Design 26" in first and "Design 00" not in first
    assert "Design 00" in second and "Design 01" in second


def test_dashboard_htmx_filter_returns_only_the_list(client, design, alice):
    client.force_login(alice)
    response = client.get("/", {"team": design.team_id}, **HTMX)
    assert b'id="design-list"' in response.content
    assert b"<html" not in response.content
