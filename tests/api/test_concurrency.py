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


def _race(url: str, secret: str, payloads: list[dict]) -> list[tuple[int, dict]]:
    start = threading.Barrier(len(payloads))
    results: dict[int, tuple[int, dict]] = {}

    def save(n: int) -> None:
        try:
            client = ApiClient(secret)
            start.wait()
            response = client.patch_json(url, payloads[n])
            results[n] = (response.status_code, response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(n,)) for n in range(len(payloads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [results[n] for n in range(len(payloads))]


BASE_LINES = [f"line {n}\n" for n in range(2 * THREADS)]


@pytest.fixture
def saved_once(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    alice = UserFactory(username="alice")
    design = make_design(team=TeamFactory(name="Platform", created_by=alice), author=alice)
    section = design.sections.get(position=1)
    secret = make_api_token(user=alice)
    url = f"/api/v1/designs/{design.pk}/sections/{section.key}"
    assert ApiClient(secret).patch_json(url, {"body": "".join(BASE_LINES), "base_version": 0})
    return url, secret, section


@pytest.mark.django_db(transaction=True)
def test_concurrent_stale_edits_of_the_same_line_still_have_exactly_one_winner(saved_once):
    url, secret, section = saved_once
    payloads = []
    for n in range(THREADS):
        lines = list(BASE_LINES)
        lines[3] = f"writer {n}\n"
        payloads.append({"body": "".join(lines), "base_version": 1})
    results = _race(url, secret, payloads)
    assert sorted(status for status, _ in results) == [200] + [409] * (THREADS - 1)
    (winner,) = [n for n, (status, _) in enumerate(results) if status == 200]
    saved = Section.objects.get(pk=section.pk)
    assert saved.version == 2
    assert saved.body.splitlines()[3] == f"writer {winner}"
    assert Revision.objects.filter(section=section).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_stale_edits_of_lines_apart_are_all_merged(saved_once):
    url, secret, section = saved_once
    payloads = []
    for n in range(THREADS):
        lines = list(BASE_LINES)
        lines[2 * n] = f"writer {n}\n"  # an unchanged line between any two writers' edits
        payloads.append({"body": "".join(lines), "base_version": 1})
    results = _race(url, secret, payloads)
    assert [status for status, _ in results] == [200] * THREADS
    assert sum(body["merged"] for _, body in results) == THREADS - 1
    saved = Section.objects.get(pk=section.pk)
    assert saved.version == THREADS + 1
    expected = list(BASE_LINES)
    for n in range(THREADS):
        expected[2 * n] = f"writer {n}\n"
    assert saved.body == "".join(expected)
    assert Revision.objects.filter(section=section).count() == THREADS + 1
