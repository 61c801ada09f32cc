from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from config.http import HtmxHttpRequest
from designs.selectors import design_get_for
from exports import selectors, services
from exports.forms import ExportForm
from exports.models import ExportJob

PAGE_TEMPLATE = "exports/design_exports.html"
PAGE_LIMIT = 50


def _page(
    request: HtmxHttpRequest,
    access,
    *,
    form: ExportForm,
    highlight: int | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "design": access.design,
        "access": access,
        "exports": selectors.export_list(design=access.design, limit=PAGE_LIMIT),
        "export_form": form,
        "highlight": highlight,
    }
    return render(request, PAGE_TEMPLATE, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def design_exports(request: HtmxHttpRequest, design_id: int) -> HttpResponse:
    """The design's exports; POST asks for a new one."""
    access = design_get_for(request.user, design_id)
    if request.method == "GET":
        return _page(request, access, form=ExportForm())
    form = ExportForm(request.POST)
    job: ExportJob | None = None
    if form.is_valid():
        try:
            job, created = services.export_request(
                design=access.design,
                format=form.cleaned_data["format"],
                options={"include_review": form.cleaned_data["include_review"]},
                requested_by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
    if job is None:
        if request.htmx:
            return render(
                request, f"{PAGE_TEMPLATE}#export-form-errors", {"export_form": form}, status=400
            )
        return _page(request, access, form=form, status=400)
    if request.htmx:
        context = {
            "design": access.design,
            "exports": selectors.export_list(design=access.design),
            "highlight": job.pk,
            "reused": not created,
        }
        return render(request, f"{PAGE_TEMPLATE}#export-list", context)
    if not created:
        messages.info(request, "This export already exists for the design as it is now.")
    return redirect(job)


@login_required
@require_GET
def export_job(request: HtmxHttpRequest, job_id: int) -> HttpResponse:
    """One job's state; htmx polls this until the job ends."""
    access, job = selectors.export_get_for(request.user, job_id)
    if request.htmx:
        return render(request, f"{PAGE_TEMPLATE}#export-job", {"job": job, "design": access.design})
    return _page(request, access, form=ExportForm(), highlight=job.pk)


def _download_name(job: ExportJob) -> str:
    """The design title made safe as a file name; non-ASCII is kept (RFC 6266 filename*)."""
    cleaned = "".join(
        " " if (ch in '/\\:*?"<>|' or ord(ch) < 32 or ord(ch) == 127) else ch
        for ch in job.design.title
    )
    base = " ".join(cleaned.split()).strip(" .")[:120] or "design"
    return f"{base}.{job.extension}"


@login_required
@require_GET
def export_download(request: HtmxHttpRequest, job_id: int) -> FileResponse:
    _, job = selectors.export_get_for(request.user, job_id)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404("This export has no file yet.")
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The exported file is gone; export the design again.") from exc
    response = FileResponse(handle, as_attachment=True, filename=_download_name(job))
    response["Content-Type"] = job.content_type
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
