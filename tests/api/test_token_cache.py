"""A token is answered from the cache after its first request, and stops answering the
moment it is revoked or its user changes."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import services
from api.models import Token
from tests.api.conftest import ApiClient

User = get_user_model()


def _token_queries(client: ApiClient) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/me").status_code == 200
    return sum('FROM "api_token"' in q["sql"] for q in ctx.captured_queries)


@pytest.mark.django_db
def test_a_known_token_costs_no_query_after_its_first_request(alice):
    client = ApiClient(services.token_create(user=alice, name="ci").secret)
    assert _token_queries(client) == 1
    assert _token_queries(client) == 0
    assert client.get("/api/v1/me").json()["username"] == "alice"


@pytest.mark.django_db
def test_the_cache_keeps_no_password_hash(alice):
    issued = services.token_create(user=alice, name="ci")
    ApiClient(issued.secret).get("/api/v1/me")
    snapshot = cache.get(services._cache_key(issued.token.digest))
    assert isinstance(snapshot, dict)
    assert alice.password not in repr(snapshot)
    assert issued.secret not in repr(snapshot)
    token = services.token_authenticate(secret=issued.secret)
    assert token.user == alice
    assert "password" in token.user.get_deferred_fields()


@pytest.mark.django_db
def test_a_revoked_token_is_refused_at_once_though_it_was_cached(alice):
    issued = services.token_create(user=alice, name="ci")
    client = ApiClient(issued.secret)
    assert client.get("/api/v1/me").status_code == 200
    services.token_revoke(token=issued.token, revoked_by=alice)
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_a_token_deleted_or_revoked_in_the_admin_is_refused_at_once(alice):
    first = services.token_create(user=alice, name="one")
    second = services.token_create(user=alice, name="two")
    for issued in (first, second):
        assert ApiClient(issued.secret).get("/api/v1/me").status_code == 200
    Token.objects.get(pk=first.token.pk).delete()
    token = Token.objects.get(pk=second.token.pk)
    token.revoked_at = token.created_at
    token.save()
    assert ApiClient(first.secret).get("/api/v1/me").status_code == 401
    assert ApiClient(second.secret).get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_a_deactivated_user_is_refused_at_once(alice):
    client = ApiClient(services.token_create(user=alice, name="ci").secret)
    assert client.get("/api/v1/me").status_code == 200
    alice.is_active = False
    alice.save()
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_a_renamed_user_is_shown_by_the_new_name_at_once(alice):
    client = ApiClient(services.token_create(user=alice, name="ci").secret)
    assert client.get("/api/v1/me").json()["username"] == "alice"
    alice.username = "alice2"
    alice.save()
    assert client.get("/api/v1/me").json()["username"] == "alice2"


@pytest.mark.django_db
def test_a_deleted_user_is_refused_at_once(bob):
    client = ApiClient(services.token_create(user=bob, name="ci").secret)
    assert client.get("/api/v1/me").status_code == 200
    User.objects.filter(pk=bob.pk).delete()
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_a_lookup_that_raced_a_change_does_not_cache_the_old_token(alice):
    """The token is revoked while a lookup that found nothing cached reads its row: the
    revocation marks the token forgotten after the lookup's cache read and before it
    stores what it read. The lookup leaves the mark, so the next request is refused."""
    issued = services.token_create(user=alice, name="ci")
    client = ApiClient(issued.secret)
    raced = []

    def revoke_after_the_read(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if 'FROM "api_token"' in sql and sql.lstrip().startswith("SELECT") and not raced:
            raced.append(sql)
            services.token_revoke(token=issued.token, revoked_by=alice)
        return result

    with connection.execute_wrapper(revoke_after_the_read):
        assert client.get("/api/v1/me").status_code == 200  # read before the revocation
    assert raced
    assert cache.get(services._cache_key(issued.token.digest)) == services._FORGOTTEN
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_signing_in_keeps_the_users_tokens_cached(alice, client):
    api = ApiClient(services.token_create(user=alice, name="ci").secret)
    api.get("/api/v1/me")
    client.post("/accounts/login/", {"username": "alice", "password": "pw-for-tests-1"})
    assert _token_queries(api) == 0
