"""The sign-off endpoints: list, set requirements, give and withdraw."""

import json

import pytest

from designs.models import Design
from reviews import services
from reviews.models import SectionSignoff, Verdict
from tests.factories import make_team_role, request_review

pytestmark = pytest.mark.django_db

KEY = "who-is-your-customer"


@pytest.fixture
def sre(team, member):
    return make_team_role(team=team, name="SRE", holders=(member,))


def _settings(client, design, **body):
    return client.put(
        f"/api/v1/designs/{design.pk}/sections/{KEY}/signoff-settings",
        json.dumps(body),
        "application/json",
    )


def test_set_requirements_give_and_withdraw_through_the_api(
    api_for, design, alice, bob, member, sre
):
    request_review(design=design, reviewer=bob)
    response = _settings(api_for(alice), design, owner="member", people=["bob"], roles=["sre"])
    assert response.status_code == 200, response.content
    section = next(s for s in response.json()["sections"] if s["key"] == KEY)
    assert section["owner"]["username"] == "member"
    assert sorted((r["kind"], r["state"]) for r in section["required"]) == [
        ("person", "missing"),
        ("role", "missing"),
    ]

    url = f"/api/v1/designs/{design.pk}/sections/{KEY}/signoffs"
    assert api_for(member).post_json(url, {"role": "SRE"}).status_code == 201
    assert api_for(member).post_json(url, {}).status_code == 403  # not named
    assert api_for(bob).post_json(url, {"role": "SRE"}).status_code == 403  # not a holder
    response = api_for(bob).post_json(url, {})
    assert response.status_code == 201
    body = response.json()
    assert body["complete"] is True
    services.verdict_submit(design=design, reviewer=bob, kind=Verdict.Kind.APPROVE)
    listed = api_for(bob).get(f"/api/v1/designs/{design.pk}/signoffs").json()
    assert listed["design_status"] == Design.Status.APPROVED

    assert api_for(bob).delete(url).status_code == 204
    listed = api_for(bob).get(f"/api/v1/designs/{design.pk}/signoffs").json()
    assert listed["design_status"] == Design.Status.IN_REVIEW
    assert listed["complete"] is False
    assert SectionSignoff.objects.filter(withdrawn_at__isnull=False).count() == 1


def test_bad_names_are_422_and_outsiders_404(api_for, design, alice, outsider, member):
    assert _settings(api_for(alice), design, roles=["nope"]).status_code == 422
    assert _settings(api_for(alice), design, people=["nobody-here"]).status_code == 422
    assert _settings(api_for(alice), design, people=["mallory"]).status_code == 422
    assert _settings(api_for(member), design).status_code == 200
    assert _settings(api_for(outsider), design).status_code == 404
    assert api_for(outsider).get(f"/api/v1/designs/{design.pk}/signoffs").status_code == 404


def test_withdraw_with_a_nul_in_the_role_is_422_not_a_server_error(api_for, design, bob):
    request_review(design=design, reviewer=bob)
    url = f"/api/v1/designs/{design.pk}/sections/{KEY}/signoffs"
    response = api_for(bob).delete(url + "?role=S%00RE")
    assert response.status_code == 422, response.content
    assert "NUL" in response.content.decode()
