import pytest
from django.test import Client

from api import services as token_services
from config.ratelimit import window_clear, window_peek
from tests.api.conftest import ApiClient
from tests.factories import make_api_token


@pytest.mark.django_db
def test_no_credentials_is_401_with_a_bearer_challenge():
    response = ApiClient().get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_an_unknown_token_is_401(alice):
    make_api_token(user=alice)
    response = ApiClient("crit_this-is-not-a-token").get("/api/v1/me")
    assert response.status_code == 401
    assert "not valid" in response.json()["detail"]


@pytest.mark.django_db
def test_a_revoked_token_is_401(alice):
    issued = token_services.token_create(user=alice, name="old")
    token_services.token_revoke(token=issued.token, revoked_by=alice)
    assert ApiClient(issued.secret).get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_a_non_bearer_authorization_header_is_401(alice):
    response = Client(HTTP_AUTHORIZATION="Basic YWxpY2U6ZGVtbw==").get("/api/v1/me")
    assert response.status_code == 401


@pytest.mark.django_db
def test_a_bad_token_is_401_even_with_a_signed_in_session(alice):
    browser = Client(HTTP_AUTHORIZATION="Bearer crit_wrong")
    browser.force_login(alice)
    assert browser.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_token_authenticates_as_its_owner(alice):
    response = ApiClient(make_api_token(user=alice)).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {
        "id": alice.pk,
        "username": "alice",
        "email": "alice@example.com",
        "display_name": "alice",
        "auth": "token",
    }


@pytest.mark.django_db
def test_browser_session_can_read(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    response = browser.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["auth"] == "session"


@pytest.mark.django_db
def test_session_write_without_csrf_token_is_403(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    response = browser.post("/api/v1/teams", {"name": "Infra"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


@pytest.mark.django_db
def test_session_write_with_csrf_token_succeeds(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    browser.get("/accounts/tokens/")  # the page sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(
        "/api/v1/teams",
        {"name": "Infra"},
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 201


@pytest.mark.django_db
def test_token_writes_need_no_csrf_token(alice):
    client = ApiClient(make_api_token(user=alice), enforce_csrf_checks=True)
    assert client.post_json("/api/v1/teams", {"name": "Infra"}).status_code == 201


@pytest.mark.django_db
def test_schema_and_docs_are_public():
    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Crit API"
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


# Rate limit ----------------------------------------------------------------------------


@pytest.fixture
def three_writes_a_minute(settings):
    settings.CRIT_API_WRITES_PER_MINUTE = 3


@pytest.mark.django_db
def test_token_writes_over_the_limit_get_429_with_retry_after(alice, three_writes_a_minute):
    client = ApiClient(make_api_token(user=alice))
    statuses = [client.post_json("/api/v1/teams", {"name": f"T{i}"}).status_code for i in range(3)]
    assert statuses == [201, 201, 201]
    refused = client.post_json("/api/v1/teams", {"name": "T4"})
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Too many writes" in refused.json()["detail"]
    assert not alice.teams.filter(name="T4").exists()


@pytest.mark.django_db
def test_rate_limit_works_on_the_in_memory_cache_too(alice, three_writes_a_minute, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "api-rate-limit-test",
        }
    }
    client = ApiClient(make_api_token(user=alice))
    statuses = [client.post_json("/api/v1/teams", {"name": f"M{i}"}).status_code for i in range(4)]
    assert statuses == [201, 201, 201, 429]


@pytest.mark.django_db
def test_rate_limit_counts_per_user_across_tokens(alice, bob, three_writes_a_minute):
    first, second = ApiClient(make_api_token(user=alice)), ApiClient(make_api_token(user=alice))
    for i in range(3):
        first.post_json("/api/v1/teams", {"name": f"A{i}"})
    assert second.post_json("/api/v1/teams", {"name": "A9"}).status_code == 429
    assert (
        ApiClient(make_api_token(user=bob)).post_json("/api/v1/teams", {"name": "B1"}).status_code
        == 201
    )


@pytest.mark.django_db
def test_reads_are_not_rate_limited(alice, three_writes_a_minute):
    client = ApiClient(make_api_token(user=alice))
    for i in range(3):
        client.post_json("/api/v1/teams", {"name": f"T{i}"})
    assert client.get("/api/v1/teams").status_code == 200


@pytest.mark.django_db
def test_session_writes_are_not_rate_limited(alice, three_writes_a_minute):
    browser = Client()
    browser.force_login(alice)
    for i in range(5):
        response = browser.post("/api/v1/teams", {"name": f"S{i}"}, content_type="application/json")
        assert response.status_code == 201


@pytest.mark.django_db
def test_token_writes_are_counted_in_the_shared_rate_limit_window(alice, three_writes_a_minute):
    client = ApiClient(make_api_token(user=alice))
    for i in range(2):
        assert client.post_json("/api/v1/teams", {"name": f"T{i}"}).status_code == 201
    window = window_peek(f"api-writes:{alice.pk}")
    assert window.count == 2
    assert 1 <= window.retry_after <= 60
    window_clear(f"api-writes:{alice.pk}")  # what an operator would do to lift the limit
    statuses = [client.post_json("/api/v1/teams", {"name": f"U{i}"}).status_code for i in range(3)]
    assert statuses == [201, 201, 201]
