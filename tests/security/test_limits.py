"""Limits answer with a clear 4xx, never a 500, and save nothing: text sizes, comments a
minute, new exports an hour, request size, and pathological Markdown."""

import json

import pytest
from django.urls import reverse

from designs.markdown import MAX_NESTING, render_markdown
from designs.models import Section
from exports.models import ExportJob
from reviews.models import Comment
from tests.factories import make_api_token, make_design

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def section(design):
    return design.sections.select_related("design").order_by("position").first()


def _edit(client, section, body):
    return client.post(
        reverse("designs:section_edit", args=[section.design_id, section.key]),
        {"body": body, "state": "draft", "na_reason": "", "base_version": section.version},
        **HTMX,
    )


def test_a_section_body_over_the_limit_is_refused_with_the_limit(client, alice, section):
    client.force_login(alice)
    response = _edit(client, section, "x" * 200_001)
    assert response.status_code == 400
    assert "200,000-byte limit" in response.content.decode()
    section.refresh_from_db()
    assert section.version == 0


def test_the_api_answers_413_to_a_section_body_over_the_limit(client, alice, section):
    secret = make_api_token(user=alice)
    response = client.patch(
        f"/api/v1/designs/{section.design_id}/sections/{section.key}",
        json.dumps({"body": "é" * 100_001, "base_version": 0}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 413
    assert "200,000" in response.json()["detail"]


def test_a_comment_over_the_limit_is_refused_with_the_limit(client, alice, section):
    client.force_login(alice)
    response = client.post(
        reverse("reviews:comment_add", args=[section.design_id, section.key]),
        {"body": "x" * 50_001},
        **HTMX,
    )
    assert response.status_code == 400
    assert "the limit is 50,000" in response.content.decode()
    assert not Comment.objects.exists()


def test_comments_past_the_limit_a_minute_are_refused_with_a_message(
    client, alice, section, settings
):
    settings.CRIT_COMMENTS_PER_MINUTE = 3
    client.force_login(alice)
    url = reverse("reviews:comment_add", args=[section.design_id, section.key])
    for n in range(3):
        assert client.post(url, {"body": f"Point {n}."}, **HTMX).status_code == 200

    response = client.post(url, {"body": "One too many."}, **HTMX)

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "at most 3 comments a minute" in response.content.decode()
    assert "One too many." in response.content.decode()  # the draft stays in the form
    assert Comment.objects.count() == 3


def test_replies_count_towards_the_comment_limit(client, alice, section, settings):
    settings.CRIT_COMMENTS_PER_MINUTE = 2
    client.force_login(alice)
    client.post(
        reverse("reviews:comment_add", args=[section.design_id, section.key]),
        {"body": "Thread."},
        **HTMX,
    )
    thread = Comment.objects.get()
    reply = reverse("reviews:comment_reply", args=[thread.pk])
    assert client.post(reply, {"body": "Reply."}, **HTMX).status_code == 200
    assert client.post(reply, {"body": "Again."}, **HTMX).status_code == 429
    assert Comment.objects.count() == 2


def test_the_comment_limit_is_per_person(client, alice, bob, team, section, settings):
    from tests.factories import MembershipFactory

    settings.CRIT_COMMENTS_PER_MINUTE = 1
    MembershipFactory(team=team, user=bob)
    url = reverse("reviews:comment_add", args=[section.design_id, section.key])
    client.force_login(alice)
    assert client.post(url, {"body": "Mine."}, **HTMX).status_code == 200
    client.force_login(bob)
    assert client.post(url, {"body": "Mine too."}, **HTMX).status_code == 200


def test_the_api_refuses_comments_past_the_limit_with_the_message(client, alice, section, settings):
    settings.CRIT_COMMENTS_PER_MINUTE = 1
    secret = make_api_token(user=alice)
    url = f"/api/v1/designs/{section.design_id}/sections/{section.key}/comments"
    send = {"content_type": "application/json", "headers": {"Authorization": f"Bearer {secret}"}}
    assert client.post(url, json.dumps({"body": "One."}, **{}), **send).status_code == 201
    response = client.post(url, json.dumps({"body": "Two."}), **send)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "at most 1 comments a minute" in response.json()["detail"]
    thread = Comment.objects.get()
    reply = json.dumps({"body": "A reply.", "parent_id": thread.pk})
    assert client.post(url, reply, **send).status_code == 429
    assert Comment.objects.count() == 1


def test_new_exports_past_the_limit_an_hour_are_refused_with_a_message(
    client, alice, team, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.CRIT_EXPORTS_PER_HOUR = 2
    settings.MEDIA_ROOT = tmp_path
    designs = [make_design(team=team, author=alice, title=f"Design {n}") for n in range(3)]
    client.force_login(alice)

    def export(design):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("exports:design", args=[design.pk]), {"format": "markdown"}, **HTMX
            )

    assert export(designs[0]).status_code == 200
    assert export(designs[1]).status_code == 200
    refused = export(designs[2])
    assert refused.status_code == 400
    assert "2 new exports within the hour" in refused.content.decode()
    assert ExportJob.objects.count() == 2
    assert export(designs[0]).status_code == 200  # the same export again is free


def test_a_request_body_over_the_upload_limit_is_a_413_not_a_500(client, alice, section):
    client.force_login(alice)
    response = _edit(client, section, "x" * 1_100_000)
    assert response.status_code == 413
    assert "at most 1,000,000 bytes" in response.content.decode()
    section.refresh_from_db()
    assert section.version == 0


def test_an_api_request_body_over_the_upload_limit_is_refused(client, alice, section):
    secret = make_api_token(user=alice)
    response = client.patch(
        f"/api/v1/designs/{section.design_id}/sections/{section.key}",
        json.dumps({"body": "x" * 1_100_000, "base_version": 0}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code in (400, 413)


SCRIPT = "<script>alert(1)</script>"


# Each input carries a script tag where the parser is deepest in its pathology, so that
# whichever path renders it (the parser and the allow-list, or the "too deep" fallback that
# shows the text as written) must escape or drop it.
@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "".join("  " * i + f"- x {SCRIPT}\n" for i in range(200)) * 50, id="nested-lists"
        ),
        pytest.param("- " * 10_000 + SCRIPT + "\n", id="10000-list-markers"),
        pytest.param(">" * 10_000 + f" {SCRIPT}\n", id="10000-quotes"),
        pytest.param(SCRIPT + "`" * 50_000, id="50000-backticks"),
        pytest.param(f"`a` {SCRIPT} " * 10_000, id="backtick-pairs"),
        pytest.param(
            "|" + "h|" * 10 + "\n|" + "-|" * 10 + "\n" + ("|" + f"{SCRIPT}|" * 10 + "\n") * 500,
            id="huge-table",
        ),
        pytest.param("*a " * 50_000 + SCRIPT, id="emphasis-openers"),
        pytest.param("[" * 50_000 + SCRIPT + "]" * 50_000, id="nested-brackets"),
    ],
)
def test_pathological_markdown_renders_to_safe_html(text):
    out = render_markdown(text[:200_000])
    assert out
    assert "<script" not in out
    assert "&lt;script&gt;alert(1)" in out  # shown as text, not dropped with the rest


def test_lists_nested_past_the_parser_depth_are_shown_as_written_not_dropped():
    deep = "".join("  " * i + "- level\n" for i in range(MAX_NESTING)) + "\nThe end <b>.\n"
    out = render_markdown(deep)
    assert "shown as written" in out
    assert "The end &lt;b&gt;." in out


def test_lists_a_few_levels_deep_render_as_lists():
    out = render_markdown("- a\n  - b\n    - c\n\nAfter.")
    assert out.count("<ul>") == 3
    assert "After." in out


def test_a_section_saved_with_pathological_markdown_keeps_its_text(alice, section):
    from designs import services

    body = "- " * 10_000 + "x\n\nThe rest."
    saved = services.section_update(
        section=section, body=body, state=Section.State.DRAFT, base_version=0, edited_by=alice
    )
    assert saved.body == body
    assert "The rest." in saved.body_html


def _preview(client, section, body="*Hello*"):
    return client.post(
        reverse("designs:section_preview", args=[section.design_id, section.key]),
        {"body": body, "state": "draft", "na_reason": "", "base_version": section.version},
        **HTMX,
    )


def test_previews_past_the_limit_a_minute_are_refused_with_retry_after(
    client, alice, section, settings
):
    settings.CRIT_PREVIEWS_PER_MINUTE = 3
    client.force_login(alice)
    for _ in range(3):
        response = _preview(client, section)
        assert response.status_code == 200
        assert "<em>Hello</em>" in response.content.decode()

    response = _preview(client, section)

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "at most 3 previews a minute" in response.content.decode()
    assert "<em>Hello</em>" not in response.content.decode()


def test_the_preview_button_without_javascript_counts_towards_the_same_limit(
    client, alice, section, settings
):
    settings.CRIT_PREVIEWS_PER_MINUTE = 1
    client.force_login(alice)
    assert _preview(client, section).status_code == 200
    response = client.post(
        reverse("designs:section_edit", args=[section.design_id, section.key]),
        {"body": "Draft kept", "state": "draft", "na_reason": "", "base_version": 0, "preview": ""},
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "at most 1 previews a minute" in response.content.decode()
    assert "Draft kept" in response.content.decode()  # the text stays in the editor
    section.refresh_from_db()
    assert section.version == 0


def test_the_preview_limit_is_per_person(client, alice, bob, team, section, settings):
    from tests.factories import MembershipFactory

    settings.CRIT_PREVIEWS_PER_MINUTE = 1
    MembershipFactory(team=team, user=bob)
    client.force_login(alice)
    assert _preview(client, section).status_code == 200
    client.force_login(bob)
    assert _preview(client, section).status_code == 200
