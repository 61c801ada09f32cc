import threading

import pytest
from django.db import connection

from designs.models import Revision, Section
from tests.api.conftest import ApiClient
from tests.factories import TeamFactory, UserFactory, make_api_token, make_design

THREADS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_saves_from_one_base_version_have_exactly_one_winner():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    alice = UserFactory(username="alice")
    design = make_design(team=TeamFactory(name="Platform", created_by=alice), author=alice)
    section = design.sections.get(position=1)
    secret = make_api_token(user=alice)
    url = f"/api/v1/designs/{design.pk}/sections/{section.key}"
    start = threading.Barrier(THREADS)
    results: dict[int, tuple[int, dict]] = {}

    def save(n: int) -> None:
        try:
            client = ApiClient(secret)
            start.wait()
            response = client.patch_json(url, {"body": f"writer {n}", "base_version": 0})
            results[n] = (response.status_code, response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(status for status, _ in results.values())
    assert len(results) == THREADS
    assert statuses == [200] + [409] * (THREADS - 1)
    (winner,) = [n for n, (status, _) in results.items() if status == 200]
    saved = Section.objects.get(pk=section.pk)
    assert saved.body == f"writer {winner}"
    assert saved.version == 1
    assert Revision.objects.filter(section=section).count() == 1
    for status, body in results.values():
        if status == 409:
            assert body["current"]["body"] == f"writer {winner}"
            assert body["current"]["version"] == 1
