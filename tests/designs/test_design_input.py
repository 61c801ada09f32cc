"""A design's title and summary obey the same rules on every path in: the create form, the
edit form and the API. A title is one line; a summary has one limit."""

import json

import pytest
from django.urls import reverse

from designs.models import SUMMARY_MAX_CHARS, Design, Template
from tests.factories import make_api_token

pytestmark = pytest.mark.django_db

ONE_LINE_BREAKERS = [
    pytest.param("Launch\r\nBcc: victim@example.com", id="crlf"),
    pytest.param("Launch\nplan", id="lf"),
    pytest.param("Launch\rplan", id="cr"),
    pytest.param("Launch\u2028plan", id="line-separator"),
    pytest.param("Launch\u2029plan", id="paragraph-separator"),
    pytest.param("Launch\u0085plan", id="next-line"),
    pytest.param("Launch\tplan", id="tab"),
    pytest.param("Launch\x1bplan", id="escape"),
]


def _create(client, team, **data):
    template = Template.objects.get(is_default=True)
    return client.post(
        reverse("designs:create"),
        {"team": team.pk, "template": template.pk, "title": "Chat", "summary": "", **data},
    )


def _api_create(user, team, **data):
    from django.test import Client

    return Client().post(
        "/api/v1/designs",
        json.dumps({"team_id": team.pk, "title": "Chat", **data}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {make_api_token(user=user)}"},
    )


# Summary ---------------------------------------------------------------------------------


def test_a_summary_at_the_limit_is_accepted_on_create_and_edit(client, team, alice, design):
    client.force_login(alice)
    assert _create(client, team, summary="s" * SUMMARY_MAX_CHARS).status_code == 302
    response = client.post(
        reverse("designs:edit", args=[design.pk]),
        {"title": design.title, "summary": "e" * SUMMARY_MAX_CHARS},
    )
    assert response.status_code == 302
    design.refresh_from_db()
    assert design.summary == "e" * SUMMARY_MAX_CHARS


def test_a_summary_over_the_limit_is_refused_on_create(client, team, alice):
    client.force_login(alice)
    response = _create(client, team, summary="s" * (SUMMARY_MAX_CHARS + 1))
    assert response.status_code == 400
    assert f"at most {SUMMARY_MAX_CHARS}" in response.content.decode()
    assert not Design.objects.filter(title="Chat").exists()


def test_a_summary_over_the_limit_is_refused_on_edit(client, alice, design):
    client.force_login(alice)
    response = client.post(
        reverse("designs:edit", args=[design.pk]),
        {"title": design.title, "summary": "e" * (SUMMARY_MAX_CHARS + 1)},
    )
    assert response.status_code == 400
    assert f"at most {SUMMARY_MAX_CHARS}" in response.content.decode()
    design.refresh_from_db()
    assert design.summary == ""


def test_the_update_service_refuses_a_summary_over_the_limit(alice, design):
    from django.core.exceptions import ValidationError

    from designs import services

    with pytest.raises(ValidationError) as caught:
        services.design_update(
            design=design, title="T", summary="e" * (SUMMARY_MAX_CHARS + 1), edited_by=alice
        )
    assert "summary" in caught.value.message_dict


def test_the_api_refuses_a_summary_over_the_limit_with_413(team, alice):
    response = _api_create(alice, team, summary="s" * (SUMMARY_MAX_CHARS + 1))
    assert response.status_code == 413
    assert response.json()["field"] == "summary"
    assert f"{SUMMARY_MAX_CHARS:,}" in response.json()["detail"]
    assert not Design.objects.filter(title="Chat").exists()


def test_the_api_accepts_a_summary_at_the_limit(team, alice):
    response = _api_create(alice, team, summary="s" * SUMMARY_MAX_CHARS)
    assert response.status_code == 201


def test_the_api_schema_states_the_summary_limit(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["components"]["schemas"]["DesignIn"]["properties"]["summary"]["maxLength"] == (
        SUMMARY_MAX_CHARS
    )


# Titles are one line ---------------------------------------------------------------------


@pytest.mark.parametrize("title", ONE_LINE_BREAKERS)
def test_a_title_with_a_line_break_or_control_character_is_refused_on_create(
    client, team, alice, title
):
    client.force_login(alice)
    response = _create(client, team, title=title)
    assert response.status_code == 400
    assert "A title is one line" in response.content.decode()
    assert not Design.objects.exists()


@pytest.mark.parametrize("title", ONE_LINE_BREAKERS)
def test_a_title_with_a_line_break_or_control_character_is_refused_on_edit(
    client, alice, design, title
):
    client.force_login(alice)
    response = client.post(reverse("designs:edit", args=[design.pk]), {"title": title})
    assert response.status_code == 400
    assert "A title is one line" in response.content.decode()
    design.refresh_from_db()
    assert design.title == "URL shortener"


@pytest.mark.parametrize("title", ONE_LINE_BREAKERS)
def test_the_api_refuses_a_title_with_a_line_break_or_control_character(team, alice, title):
    response = _api_create(alice, team, title=title)
    assert response.status_code == 422
    assert "A title is one line" in json.dumps(response.json())
    assert not Design.objects.exists()


def test_a_title_with_emoji_and_accents_is_accepted(client, team, alice):
    client.force_login(alice)
    title = "Café 👩‍💻 rollout"  # a zero-width joiner is not a control character here
    assert _create(client, team, title=title).status_code == 302
    assert Design.objects.filter(title=title).exists()
