"""Exports: ask for a Markdown or PDF file of a design, follow the job, download it."""

from typing import Annotated

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import Path, Router
from ninja.responses import Status

from api.v1.errors import ErrorOut, ValidationErrorOut
from api.v1.schemas import MAX_ID, ExportIn, ExportOut
from api.v1.serializers import export_data
from designs.selectors import design_get_for
from exports import selectors, services, views
from exports.models import ExportJob

router = Router(tags=["exports"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def _export_response(request: HttpRequest, job: ExportJob) -> dict:
    url = None
    if job.status == ExportJob.Status.DONE:
        url = request.build_absolute_uri(reverse("api-v1:export_download", args=[job.pk]))
    return export_data(job, download_url=url)


@router.post(
    "/designs/{design_id}/exports",
    response={202: ExportOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Export a design",
)
def export_create(request: HttpRequest, design_id: Id, payload: ExportIn):
    """Starts a job (202) and answers with it; poll `GET /exports/{id}` until it is `done`.
    Asking again for an unchanged design returns the existing job."""
    user = request.auth  # type: ignore[attr-defined]
    design = design_get_for(user, design_id).design
    job, _ = services.export_request(
        design=design,
        format=payload.format,
        options={"include_review": payload.include_review},
        requested_by=user,
    )
    job.refresh_from_db()  # in-process workers may have finished it on commit
    return Status(202, _export_response(request, job))


@router.get("/exports/{job_id}", response={200: ExportOut, 404: ErrorOut}, summary="An export")
def export_detail(request: HttpRequest, job_id: Id):
    _, job = selectors.export_get_for(request.auth, job_id)  # type: ignore[attr-defined]
    return _export_response(request, job)


@router.get(
    "/exports/{job_id}/download",
    response={200: None, 404: ErrorOut},
    url_name="export_download",
    summary="Download an export's file",
)
def export_download(request: HttpRequest, job_id: Id) -> FileResponse:
    """The file itself (Markdown or PDF); 404 until the job is done. Served by the same view
    as the page's download link."""
    return views.export_download(request, job_id)  # type: ignore[arg-type]
