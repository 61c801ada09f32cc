"""Crafted ids and query strings answer 400 or 404 at once, never a 500: ids past the
database's range, digits that are not ASCII, and floods of parameters, signed in or not,
on pages and on the API."""

import pytest
from django.test import Client
from django.urls import Resolver404, resolve

from tests.factories import make_api_token

pytestmark = pytest.mark.django_db

HUGE = "1" * 25  # past PostgreSQL's bigint
JUST_PAST = str(2**63)  # one past the largest bigint
INT_PAST = str(2**31)  # past a version column (integer)

PAGES = [
    ("get", "/?team=²"),
    ("get", "/?team=٣"),
    ("get", f"/?team={HUGE}"),
    ("get", f"/?team={JUST_PAST}"),
    ("get", "/?team=-1"),
    ("get", "/?team=1e3"),
    ("get", "/?team=%00"),
    ("get", f"/designs/{HUGE}/"),
    ("get", f"/designs/{JUST_PAST}/"),
    ("get", f"/designs/{HUGE}/edit/"),
    ("get", f"/designs/{HUGE}/sections/x/"),
    ("get", f"/designs/{HUGE}/sections/x/edit/"),
    ("post", f"/designs/{HUGE}/sections/x/preview/"),
    ("get", f"/designs/{HUGE}/sections/x/history/"),
    ("get", f"/designs/{HUGE}/sections/x/diff/"),
    ("get", "/designs/{design}/sections/{key}/diff/?from=" + INT_PAST),
    ("get", "/designs/{design}/sections/{key}/diff/?to=" + HUGE),
    ("post", f"/designs/{HUGE}/sections/x/restore/"),
    ("get", f"/designs/{HUGE}/exports/"),
    ("get", f"/exports/{HUGE}/"),
    ("get", f"/exports/{HUGE}/download/"),
    ("get", f"/teams/{HUGE}/"),
    ("post", f"/teams/{HUGE}/invitations/"),
    ("post", f"/teams/invitations/{HUGE}/accept/"),
    ("post", f"/teams/{HUGE}/members/{HUGE}/remove/"),
    ("post", f"/reviews/designs/{HUGE}/request/"),
    ("post", f"/reviews/designs/{HUGE}/verdict/"),
    ("post", f"/reviews/designs/{HUGE}/sections/x/comments/"),
    ("post", f"/reviews/comments/{HUGE}/reply/"),
    ("post", f"/reviews/comments/{HUGE}/edit/"),
    ("post", f"/reviews/comments/{HUGE}/delete/"),
    ("post", f"/reviews/notifications/{HUGE}/read/"),
    ("get", f"/reviews/notifications/{HUGE}/open/"),
    ("post", f"/accounts/tokens/{HUGE}/revoke/"),
]

API = [
    ("get", f"/api/v1/designs/{HUGE}"),
    ("get", f"/api/v1/designs/{JUST_PAST}"),
    ("get", f"/api/v1/designs?team={HUGE}"),
    ("get", "/api/v1/designs?team=²"),
    ("get", f"/api/v1/designs?page={HUGE}"),
    ("get", f"/api/v1/designs/{HUGE}/sections/x/history"),
    ("patch", f"/api/v1/designs/{HUGE}/sections/x"),
    ("get", f"/api/v1/exports/{HUGE}"),
    ("get", f"/api/v1/exports/{HUGE}/download"),
    ("post", f"/api/v1/teams/{HUGE}/members"),
]


def _url(template, design):
    return template.format(design=design.pk, key=design.sections.first().key)


@pytest.mark.parametrize(("method", "url"), PAGES)
def test_a_crafted_page_url_is_400_or_404_signed_in(client, alice, design, method, url):
    client.force_login(alice)
    response = getattr(client, method)(_url(url, design))
    assert response.status_code in (400, 404), response.status_code


@pytest.mark.parametrize(("method", "url"), PAGES)
def test_a_crafted_page_url_is_refused_anonymously(client, design, method, url):
    response = getattr(client, method)(_url(url, design))
    if response.status_code == 302:
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code in (400, 403, 404), response.status_code


@pytest.mark.parametrize(("method", "url"), API)
def test_a_crafted_api_url_is_4xx_with_a_token(alice, design, method, url):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {make_api_token(user=alice)}")
    response = getattr(client, method)(_url(url, design), content_type="application/json")
    assert response.status_code in (400, 404, 422), response.status_code


@pytest.mark.parametrize(("method", "url"), API)
def test_a_crafted_api_url_is_4xx_anonymously(client, design, method, url):
    response = getattr(client, method)(_url(url, design), content_type="application/json")
    assert response.status_code in (400, 401, 404, 422), response.status_code


def test_a_page_number_past_the_end_shows_the_last_page(client, alice, design):
    client.force_login(alice)
    assert client.get(f"/?page={HUGE}").status_code == 200


def test_a_bad_dashboard_filter_says_what_the_filters_are(client, alice):
    client.force_login(alice)
    response = client.get("/?team=²")
    assert response.status_code == 400
    assert "the team is a team&#x27;s number" in response.content.decode()
    assert client.get("/?status=bogus").status_code == 400
    assert client.get("/?team=1&status=draft").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/designs/{id}/",
        "/designs/{id}/sections/x/",
        "/designs/{id}/exports/",
        "/exports/{id}/",
        "/teams/{id}/",
        "/teams/1/members/{id}/remove/",
        "/teams/invitations/{id}/accept/",
        "/reviews/comments/{id}/reply/",
        "/reviews/notifications/{id}/open/",
        "/accounts/tokens/{id}/revoke/",
    ],
)
def test_ids_past_the_bigint_range_match_no_url(path):
    """Refused by the URL resolver, so no view or query ever sees them."""
    assert resolve(path.format(id=2**63 - 1)).kwargs
    for bad in (JUST_PAST, HUGE, "0", "١٢"):
        with pytest.raises(Resolver404):
            resolve(path.format(id=bad))
