"""PostgreSQL connection dropped: the next request recovers, and a write caught by the drop
is reported to the user with nothing half-saved."""

from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.db import connection

from designs.models import Revision, Section
from tests.api.conftest import ApiClient
from tests.factories import make_api_token
from tests.faults.conftest import created_database_url, csrf_post, sign_in, wait_for

APP = "crit-web-faults"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def web_backends() -> list[dict]:
    """The web process's connections to PostgreSQL, as pg_stat_activity sees them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, wait_event_type, query FROM pg_stat_activity WHERE application_name = %s",
            [APP],
        )
        return [{"pid": pid, "waiting": wait, "query": query} for pid, wait, query in cursor]


def terminate(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    wait_for(lambda: all(b["pid"] != pid for b in web_backends()), what="the backend to end")


@pytest.fixture
def web(processes):
    group = processes()
    base = group.web(DATABASE_URL=f"{created_database_url()}?application_name={APP}")
    return base, group


def test_after_the_connection_is_dropped_the_next_request_reconnects(web, design, alice):
    base, _ = web
    browser = sign_in(base, "alice")
    page = f"{base}/designs/{design.pk}/"
    assert browser.get(page, timeout=10).status_code == 200
    (before,) = web_backends()  # one sync worker keeps one connection between requests

    terminate(before["pid"])

    response = browser.get(page, timeout=10)
    assert response.status_code == 200
    assert "URL shortener" in response.text
    (after,) = web_backends()
    assert after["pid"] != before["pid"]


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_a_save_cut_off_by_a_dropped_connection_is_reported_and_nothing_is_half_saved(
    web, design, alice, htmx
):
    base, group = web
    browser = sign_in(base, "alice")
    section = design.sections.order_by("position").first()
    url = f"{base}/designs/{design.pk}/sections/{section.key}/edit/"
    form = {"body": "Cut off mid-save.", "state": "answered", "na_reason": ""}
    headers = {"HX-Request": "true"} if htmx else {}
    revisions = Revision.objects.filter(section=section).count()

    # Hold the design row: the save's statement updates the section, records the revision
    # and waits here to stamp the design's last edit. The connection is dropped then.
    blocker = psycopg.connect(created_database_url())
    blocker.execute("SELECT 1 FROM designs_design WHERE id = %s FOR UPDATE", [design.pk])
    try:
        with ThreadPoolExecutor(1) as pool:
            sent = pool.submit(
                csrf_post,
                browser,
                url,
                {**form, "base_version": section.version},
                headers=headers,
                allow_redirects=False,
            )
            waiting = wait_for(
                lambda: [b for b in web_backends() if b["waiting"] == "Lock"],
                what="the save to reach the design row",
            )
            assert "UPDATE designs_design" in waiting[0]["query"]
            terminate(waiting[0]["pid"])
            response = sent.result(timeout=30)
    finally:
        blocker.rollback()
        blocker.close()

    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "nothing was saved" in response.text
    assert "Traceback" not in response.text
    if htmx:
        assert response.headers["HX-Retarget"] == "#main"
        assert response.text.lstrip().startswith('<ul class="messages" role="alert">')
    assert "database unavailable during POST" in group.log("web")
    fresh = Section.objects.get(pk=section.pk)
    assert (fresh.version, fresh.body, fresh.state) == (
        section.version,
        section.body,
        section.state,
    )
    assert Revision.objects.filter(section=section).count() == revisions

    # The user saves again: the next request reconnects and the save goes through once.
    retried = csrf_post(
        browser, url, {**form, "base_version": section.version}, headers=headers,
        allow_redirects=False,
    )  # fmt: skip
    assert retried.status_code == (200 if htmx else 302)
    fresh.refresh_from_db()
    assert (fresh.version, fresh.body) == (section.version + 1, "Cut off mid-save.")
    assert Revision.objects.filter(section=section).count() == revisions + 1


def test_an_api_write_cut_off_by_a_dropped_connection_answers_503_json_in_production(
    design, alice, settings
):
    """In process, in a thread with a connection of its own: the API save waits on the
    design row held by another transaction, and its backend is terminated there."""
    settings.DEBUG = False  # in DEBUG the API shows its own traceback page instead
    section = design.sections.order_by("position").first()
    api = ApiClient(make_api_token(user=alice))
    url = f"/api/v1/designs/{design.pk}/sections/{section.key}"
    revisions = Revision.objects.filter(section=section).count()

    def save():
        try:
            return api.patch_json(url, {"body": "Cut off.", "base_version": section.version})
        finally:
            connection.close()  # this thread's connection, dropped or not

    def saves_waiting() -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE '%%UPDATE designs_design%%'"
            )
            return [pid for (pid,) in cursor]

    blocker = psycopg.connect(created_database_url())
    blocker.execute("SELECT 1 FROM designs_design WHERE id = %s FOR UPDATE", [design.pk])
    pool = ThreadPoolExecutor(1)
    try:
        sent = pool.submit(save)
        (pid,) = wait_for(saves_waiting, what="the save to reach the design row")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        blocker.rollback()  # lets the save go on if it was not cut off
        blocker.close()
        pool.shutdown()
    response = sent.result(timeout=30)

    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "nothing was saved" in response.json()["detail"]
    fresh = Section.objects.get(pk=section.pk)
    assert (fresh.version, fresh.body) == (section.version, section.body)
    assert Revision.objects.filter(section=section).count() == revisions
    retried = api.patch_json(url, {"body": "Saved.", "base_version": section.version})
    assert retried.status_code == 200, retried.content
    fresh.refresh_from_db()
    assert (fresh.version, fresh.body) == (section.version + 1, "Saved.")
