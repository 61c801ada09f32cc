import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from api import selectors, services
from api.models import Token
from tests.api.conftest import ApiClient


@pytest.mark.django_db
def test_token_create_stores_only_a_digest_and_a_short_prefix(alice):
    issued = services.token_create(user=alice, name="CI")
    token = Token.objects.get(pk=issued.token.pk)
    assert issued.secret.startswith("crit_")
    assert len(issued.secret) > 40
    assert token.digest == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert token.prefix == issued.secret[: len(token.prefix)]
    assert len(token.prefix) < 16
    stored = [str(value) for value in Token.objects.filter(pk=token.pk).values().first().values()]
    assert issued.secret not in stored


@pytest.mark.django_db
def test_token_create_needs_a_name(alice):
    with pytest.raises(ValidationError) as caught:
        services.token_create(user=alice, name="   ")
    assert "name" in caught.value.message_dict


@pytest.mark.django_db
def test_token_authenticate_finds_the_token_and_records_its_use(alice):
    issued = services.token_create(user=alice, name="CI")
    found = services.token_authenticate(secret=issued.secret)
    assert found is not None and found.user == alice
    assert Token.objects.get(pk=issued.token.pk).last_used_at is not None


@pytest.mark.django_db
def test_token_authenticate_refreshes_last_use_at_most_once_a_minute(
    alice, django_assert_num_queries
):
    issued = services.token_create(user=alice, name="CI")
    cached = services._cache_key(issued.token.digest)
    services.token_authenticate(secret=issued.secret)
    with django_assert_num_queries(0):  # answered from the cache
        services.token_authenticate(secret=issued.secret)
    cache.delete(cached)  # as when it expires
    with django_assert_num_queries(1):
        services.token_authenticate(secret=issued.secret)
    Token.objects.filter(pk=issued.token.pk).update(
        last_used_at=timezone.now() - timedelta(minutes=5)
    )
    cache.delete(cached)
    with django_assert_num_queries(2):
        services.token_authenticate(secret=issued.secret)


@pytest.mark.django_db
def test_unknown_or_malformed_secrets_do_not_authenticate(alice):
    services.token_create(user=alice, name="CI")
    assert services.token_authenticate(secret="crit_not-a-real-token") is None
    assert services.token_authenticate(secret="something-else") is None
    assert services.token_authenticate(secret="") is None


@pytest.mark.django_db
def test_revoked_token_no_longer_authenticates(alice):
    issued = services.token_create(user=alice, name="CI")
    services.token_revoke(token=issued.token, revoked_by=alice)
    assert services.token_authenticate(secret=issued.secret) is None


@pytest.mark.django_db
def test_token_of_a_deactivated_user_does_not_authenticate(alice):
    issued = services.token_create(user=alice, name="CI")
    alice.is_active = False
    alice.save()
    assert services.token_authenticate(secret=issued.secret) is None


@pytest.mark.django_db
def test_revoking_twice_keeps_the_first_time(alice):
    issued = services.token_create(user=alice, name="CI")
    first = services.token_revoke(token=issued.token, revoked_by=alice).revoked_at
    second = services.token_revoke(token=issued.token, revoked_by=alice).revoked_at
    assert first is not None and first == second


@pytest.mark.django_db
def test_only_the_owner_can_revoke_a_token(alice, bob):
    issued = services.token_create(user=alice, name="CI")
    with pytest.raises(PermissionError):
        services.token_revoke(token=issued.token, revoked_by=bob)
    assert Token.objects.get(pk=issued.token.pk).revoked_at is None


@pytest.mark.django_db
def test_token_get_for_answers_404_for_someone_elses_token(alice, bob):
    from django.http import Http404

    issued = services.token_create(user=alice, name="CI")
    with pytest.raises(Http404):
        selectors.token_get_for(bob, issued.token.pk)
    assert selectors.token_get_for(alice, issued.token.pk) == issued.token


# The settings page ------------------------------------------------------------------------


@pytest.mark.django_db
def test_tokens_page_needs_sign_in(client):
    response = client.get(reverse("api:tokens"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.django_db
def test_tokens_page_lists_only_my_tokens(client, alice, bob):
    services.token_create(user=alice, name="alice-ci")
    services.token_create(user=bob, name="bob-bot")
    client.force_login(alice)
    response = client.get(reverse("api:tokens"))
    assert response.status_code == 200
    assert "alice-ci" in response.text
    assert "bob-bot" not in response.text


@pytest.mark.django_db
def test_creating_a_token_on_the_page_shows_the_secret_once(client, alice):
    client.force_login(alice)
    response = client.post(reverse("api:tokens"), {"name": "Release pipeline"})
    assert response.status_code == 200
    token = Token.objects.get(user=alice)
    secret = response.context["issued"].secret
    assert secret in response.text
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    again = client.get(reverse("api:tokens"))
    assert "Release pipeline" in again.text
    assert secret not in again.text
    assert ApiClient(secret).get("/api/v1/me").json()["username"] == "alice"


@pytest.mark.django_db
def test_creating_a_token_without_a_name_shows_the_error(client, alice):
    client.force_login(alice)
    response = client.post(reverse("api:tokens"), {"name": ""})
    assert response.status_code == 400
    assert not Token.objects.exists()


@pytest.mark.django_db
def test_creating_a_token_with_htmx_answers_the_tokens_fragment(client, alice):
    client.force_login(alice)
    response = client.post(reverse("api:tokens"), {"name": "bot"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="tokens"' in response.text
    assert "<html" not in response.text


@pytest.mark.django_db
def test_revoking_on_the_page_stops_the_token_working(client, alice):
    issued = services.token_create(user=alice, name="CI")
    client.force_login(alice)
    response = client.post(reverse("api:token_revoke", args=[issued.token.pk]))
    assert response.status_code == 302
    assert Token.objects.get(pk=issued.token.pk).revoked_at is not None
    assert ApiClient(issued.secret).get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_revoke_needs_post(client, alice):
    issued = services.token_create(user=alice, name="CI")
    client.force_login(alice)
    response = client.get(reverse("api:token_revoke", args=[issued.token.pk]))
    assert response.status_code == 405
    assert Token.objects.get(pk=issued.token.pk).revoked_at is None


@pytest.mark.django_db
def test_revoking_someone_elses_token_is_404(client, alice, bob):
    issued = services.token_create(user=alice, name="CI")
    client.force_login(bob)
    response = client.post(reverse("api:token_revoke", args=[issued.token.pk]))
    assert response.status_code == 404
    assert Token.objects.get(pk=issued.token.pk).revoked_at is None


@pytest.mark.django_db
def test_revoke_needs_the_csrf_token(alice):
    from django.test import Client

    issued = services.token_create(user=alice, name="CI")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    response = browser.post(reverse("api:token_revoke", args=[issued.token.pk]))
    assert response.status_code == 403
    assert Token.objects.get(pk=issued.token.pk).revoked_at is None


# The command ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_api_token_command_prints_a_working_token(alice):
    out = StringIO()
    call_command("create_api_token", "alice", "--name", "deploy", stdout=out)
    secret = out.getvalue().strip()
    assert Token.objects.get(user=alice).name == "deploy"
    response = ApiClient(secret).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


@pytest.mark.django_db
def test_create_api_token_command_refuses_an_unknown_user():
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", stdout=StringIO())
