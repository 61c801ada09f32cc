import pytest
from django.test import TestCase
from hypothesis import HealthCheck, given, settings

from exports.models import ExportJob
from exports.renderers.markdown import section_bodies
from tests.api.conftest import ApiClient
from tests.api.test_roundtrip import bodies
from tests.factories import make_api_token, request_review

KEY = "who-is-your-customer"


def export(client, design, **payload):
    """Ask for an export; the job runs in-process when the request's transaction commits."""
    payload.setdefault("format", "markdown")
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post_json(f"/api/v1/designs/{design.pk}/exports", payload)
    if response.status_code == 202:
        response.job = client.get(f"/api/v1/exports/{response.json()['id']}").json()
    return response


def download(client, job: dict) -> bytes:
    response = client.get(job["download_url"])
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_member_exports_markdown_and_downloads_it(owner_client, design):
    owner_client.patch_json(
        f"/api/v1/designs/{design.pk}/sections/{KEY}", {"body": "Teams.", "base_version": 0}
    )
    response = export(owner_client, design)
    assert response.status_code == 202
    assert response.json()["format"] == "markdown"
    job = response.job
    assert job["status"] == "done"
    assert job["download_url"].endswith(f"/api/v1/exports/{job['id']}/download")
    text = download(owner_client, job).decode()
    assert section_bodies(text)[KEY] == "Teams."


@pytest.mark.django_db
def test_pdf_export_downloads_a_pdf(owner_client, design):
    job = export(owner_client, design, format="pdf", include_review=True).job
    assert job["status"] == "done" and job["include_review"] is True
    response = owner_client.get(job["download_url"])
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


@pytest.mark.django_db
def test_reviewer_may_export(api_for, design, alice, bob):
    request_review(design=design, reviewer=bob, requested_by=alice)
    assert export(api_for(bob), design).status_code == 202


@pytest.mark.django_db
def test_outsider_exporting_gets_404(api_for, outsider, design):
    assert export(api_for(outsider), design).status_code == 404
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
def test_other_team_exporting_gets_404(api_for, other_team_user, design):
    assert export(api_for(other_team_user), design).status_code == 404


@pytest.mark.django_db
def test_an_unknown_format_is_422_on_format(owner_client, design):
    response = export(owner_client, design, format="docx")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "format"]


@pytest.mark.django_db
def test_exporting_an_unchanged_design_again_returns_the_same_job(owner_client, design):
    first = export(owner_client, design).json()
    again = export(owner_client, design).json()
    assert first["id"] == again["id"]
    assert ExportJob.objects.count() == 1


@pytest.mark.django_db
def test_export_status_for_members_and_404_for_others(owner_client, api_for, outsider, design):
    job = export(owner_client, design).job
    status = owner_client.get(f"/api/v1/exports/{job['id']}").json()
    assert {k: status[k] for k in ("id", "status", "progress", "error")} == {
        "id": job["id"],
        "status": "done",
        "progress": 100,
        "error": "",
    }
    assert api_for(outsider).get(f"/api/v1/exports/{job['id']}").status_code == 404
    assert api_for(outsider).get(f"/api/v1/exports/{job['id']}/download").status_code == 404


@pytest.mark.django_db
def test_a_job_without_a_file_has_no_download_url_and_its_download_is_404(owner_client, design):
    job = ExportJob.objects.create(
        design=design,
        format="markdown",
        requested_by=design.created_by,
        source_digest="x" * 64,
    )
    status = owner_client.get(f"/api/v1/exports/{job.pk}").json()
    assert (status["status"], status["download_url"]) == ("queued", None)
    assert owner_client.get(f"/api/v1/exports/{job.pk}/download").status_code == 404


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=bodies.filter(lambda t: t.strip()))
def test_any_unicode_body_comes_back_identical_in_the_markdown_export(
    design, alice, unlimited_writes, text
):
    client = ApiClient(make_api_token(user=alice))
    version = client.get(f"/api/v1/designs/{design.pk}").json()["sections"][0]["version"]
    saved = client.patch_json(
        f"/api/v1/designs/{design.pk}/sections/{KEY}", {"body": text, "base_version": version}
    )
    assert saved.status_code == 200
    job = export(client, design).job
    assert section_bodies(download(client, job).decode("utf-8"))[KEY] == text
