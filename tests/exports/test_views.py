import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from designs import page
from designs import services as design_services
from designs.selectors import design_get_for
from exports.models import ExportJob
from exports.panels import design_page_loader
from tests.exports.test_services import queued_job
from tests.factories import UserFactory, make_design

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def export(client, design, capture, fmt="markdown", htmx=True, **extra):
    with capture(execute=True):
        return client.post(
            reverse("exports:design", args=[design.pk]),
            {"format": fmt, **extra},
            **(HTMX if htmx else {}),
        )


def test_design_page_has_the_export_menu_and_the_list_of_past_exports(client, seeded_design, alice):
    queued_job(seeded_design, alice, "pdf")
    client.force_login(alice)
    response = client.get(seeded_design.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="export-menu"' in html
    assert f'action="{reverse("exports:design", args=[seeded_design.pk])}"' in html
    assert 'id="export-list"' in html
    assert 'hx-trigger="every 1s"' in html


def test_export_panel_loader_uses_one_query_whatever_the_number_of_exports(
    rf, seeded_design, alice
):
    def queries_for_page() -> int:
        request = rf.get("/")
        request.user = alice
        request.htmx = False
        access = design_get_for(alice, seeded_design.pk)
        sections = list(seeded_design.sections.all())
        with CaptureQueriesContext(connection) as captured:
            design_page_loader(page.PageRequest("design", request, access, sections))
        return len(captured)

    assert queries_for_page() == 1
    for fmt in ("pdf", "markdown"):
        queued_job(seeded_design, alice, fmt)
    assert queries_for_page() == 1


def test_design_page_query_count_does_not_grow_with_exports(
    client, seeded_design, alice, django_assert_max_num_queries
):
    client.force_login(alice)
    client.get(seeded_design.get_absolute_url())
    cache.clear()  # nothing rendered in the cache, the session in it, as in service
    client.get(reverse("teams:list"))
    with CaptureQueriesContext(connection) as before:
        client.get(seeded_design.get_absolute_url())
    budget = len(before)  # now: the next request empties the query log
    queued_job(seeded_design, alice, "pdf")
    queued_job(seeded_design, alice, "markdown")
    cache.clear()
    client.get(reverse("teams:list"))
    with django_assert_max_num_queries(budget):
        client.get(seeded_design.get_absolute_url())


def test_exporting_from_the_page_shows_the_job_at_once_then_a_download_link(
    client, seeded_design, alice, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    response = export(client, seeded_design, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    job = ExportJob.objects.get()
    html = response.content.decode()
    assert f'id="export-job-{job.pk}"' in html
    assert html.strip().startswith('<div id="export-list"')
    assert 'hx-trigger="every 1s"' in html  # rendered before the commit hands it over
    assert job.status == ExportJob.Status.DONE  # tasks run in-process here
    polled = client.get(reverse("exports:job", args=[job.pk]), **HTMX).content.decode()
    assert reverse("exports:download", args=[job.pk]) in polled
    assert "hx-trigger" not in polled


def test_polling_partial_keeps_polling_while_the_job_runs_and_stops_when_it_ends(
    client, seeded_design, alice
):
    job = queued_job(seeded_design, alice)
    ExportJob.objects.filter(pk=job.pk).update(
        status="running", progress=40, enqueued_at=timezone.now()
    )
    client.force_login(alice)
    url = reverse("exports:job", args=[job.pk])
    running = client.get(url, **HTMX).content.decode()
    assert 'hx-trigger="every 1s"' in running
    assert 'value="40"' in running
    assert f'href="{url}"' in running  # a real link for browsers without JavaScript
    ExportJob.objects.filter(pk=job.pk).update(status="done", file="exports/x.pdf", progress=100)
    done = client.get(url, **HTMX).content.decode()
    assert "hx-trigger" not in done
    assert reverse("exports:download", args=[job.pk]) in done


def test_failed_job_shows_its_message_and_stops_polling(client, seeded_design, alice):
    job = queued_job(seeded_design, alice)
    ExportJob.objects.filter(pk=job.pk).update(status="failed", error="The PDF could not be made")
    client.force_login(alice)
    html = client.get(reverse("exports:job", args=[job.pk]), **HTMX).content.decode()
    assert "The PDF could not be made" in html
    assert "hx-trigger" not in html


def test_without_javascript_asking_redirects_to_the_job_page(
    client, seeded_design, alice, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    response = export(client, seeded_design, django_capture_on_commit_callbacks, htmx=False)
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    page_html = client.get(response["Location"]).content.decode()
    assert f'id="export-job-{job.pk}"' in page_html


def test_asking_twice_shows_the_existing_file(
    client, seeded_design, alice, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    export(client, seeded_design, django_capture_on_commit_callbacks)
    again = export(client, seeded_design, django_capture_on_commit_callbacks)
    assert ExportJob.objects.count() == 1
    assert "here it is again" in again.content.decode()


def test_unknown_format_is_refused_with_a_message_and_nothing_saved(
    client, seeded_design, alice, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    response = export(client, seeded_design, django_capture_on_commit_callbacks, fmt="exe")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not ExportJob.objects.exists()


def test_download_is_an_attachment_named_after_the_title_with_rfc6266_for_non_ascii(
    client, team, alice, django_capture_on_commit_callbacks
):
    design = make_design(team=team, author=alice, title='Füße "quoted" / slash')
    client.force_login(alice)
    export(client, design, django_capture_on_commit_callbacks, fmt="markdown")
    job = ExportJob.objects.get()
    response = client.get(reverse("exports:download", args=[job.pk]))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert "F%C3%BC%C3%9Fe%20quoted%20slash.md" in disposition
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert b"".join(response.streaming_content).startswith("# Füße".encode())


def test_download_of_an_ascii_title_uses_a_plain_quoted_filename(
    client, seeded_design, alice, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    export(client, seeded_design, django_capture_on_commit_callbacks, fmt="pdf")
    job = ExportJob.objects.get()
    response = client.get(reverse("exports:download", args=[job.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="URL shortener.pdf"'
    assert response["Content-Type"] == "application/pdf"


def test_download_of_an_unfinished_job_is_404(client, seeded_design, alice):
    job = queued_job(seeded_design, alice)
    client.force_login(alice)
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 404


@pytest.mark.parametrize("name", ["job", "download"])
def test_outsider_gets_404_on_a_job_and_its_download(client, seeded_design, alice, outsider, name):
    job = queued_job(seeded_design, alice)
    ExportJob.objects.filter(pk=job.pk).update(status="done", file="exports/x.md")
    client.force_login(outsider)
    assert client.get(reverse(f"exports:{name}", args=[job.pk])).status_code == 404


def test_outsider_cannot_see_or_ask_for_exports_of_a_design(
    client, seeded_design, outsider, django_capture_on_commit_callbacks
):
    client.force_login(outsider)
    url = reverse("exports:design", args=[seeded_design.pk])
    assert client.get(url).status_code == 404
    assert export(client, seeded_design, django_capture_on_commit_callbacks).status_code == 404
    assert not ExportJob.objects.exists()


def test_anonymous_visitor_is_sent_to_sign_in(client, seeded_design, alice):
    job = queued_job(seeded_design, alice)
    response = client.get(reverse("exports:download", args=[job.pk]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_reader_outside_the_team_may_export_and_download(
    client, seeded_design, django_capture_on_commit_callbacks
):
    reader = UserFactory(username="reviewer")
    design_services.design_reader_grant(design=seeded_design, user=reader)
    client.force_login(reader)
    export(client, seeded_design, django_capture_on_commit_callbacks, fmt="markdown")
    job = ExportJob.objects.get()
    assert job.requested_by == reader
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 200


def test_get_never_creates_an_export(client, seeded_design, alice):
    client.force_login(alice)
    assert client.get(reverse("exports:design", args=[seeded_design.pk])).status_code == 200
    assert not ExportJob.objects.exists()


def test_with_the_broker_down_the_job_stays_queued_and_the_page_says_so(
    client, seeded_design, alice, django_capture_on_commit_callbacks
):
    previous = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    with socket_closed_port() as port:
        celery_app.conf.update(task_always_eager=False, broker_url=f"redis://127.0.0.1:{port}/0")
        try:
            client.force_login(alice)
            response = export(client, seeded_design, django_capture_on_commit_callbacks)
        finally:
            celery_app.conf.update(task_always_eager=previous[0], broker_url=previous[1])
    assert response.status_code == 200
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.QUEUED
    assert job.enqueued_at is None
    assert "task queue cannot be reached" in response.content.decode()
    assert 'hx-trigger="every 1s"' in response.content.decode()


class socket_closed_port:
    """A loopback port with nothing listening on it."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    def __exit__(self, *exc) -> None:
        return None
