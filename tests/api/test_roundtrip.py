import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import ApiClient
from tests.factories import make_api_token

# What Crit refuses (422) rather than store: C0 controls other than tab, newline and
# carriage return, and DEL. Everything else must come back exactly as sent.
REFUSED = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r") + "\x7f"
bodies = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters=REFUSED),
    max_size=300,
)


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=bodies)
def test_any_unicode_body_round_trips_through_patch_and_get(design, alice, unlimited_writes, text):
    client = ApiClient(make_api_token(user=alice))
    url = f"/api/v1/designs/{design.pk}/sections/who-is-your-customer"
    version = client.get(f"/api/v1/designs/{design.pk}").json()["sections"][0]["version"]

    saved = client.patch_json(url, {"body": text, "base_version": version})

    assert saved.status_code == 200, saved.json()
    assert saved.json()["body"] == text
    fetched = client.get(f"/api/v1/designs/{design.pk}").json()["sections"][0]
    assert fetched["body"] == text


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(min_size=1, max_size=20), bad=st.sampled_from(REFUSED))
def test_refused_control_characters_are_422_never_stripped(
    design, alice, unlimited_writes, text, bad
):
    client = ApiClient(make_api_token(user=alice))
    url = f"/api/v1/designs/{design.pk}/sections/who-is-your-customer"
    before = client.get(f"/api/v1/designs/{design.pk}").json()["sections"][0]

    response = client.patch_json(url, {"body": text + bad, "base_version": before["version"]})

    assert response.status_code == 422
    after = client.get(f"/api/v1/designs/{design.pk}").json()["sections"][0]
    assert after == before
