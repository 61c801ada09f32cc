"""Pages for team templates and the Markdown import. Members see a team's templates, its
owners change them (others get 403, outsiders 404); the built-in checklist is seen by
everyone and changed by nobody."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.http import HtmxHttpRequest
from designs import importing, selectors
from designs import template_services as ts
from designs.markdown import render_markdown
from designs.models import Template
from designs.template_forms import (
    ImportForm,
    TemplateCopyForm,
    TemplateCreateForm,
    TemplateMetaForm,
    TemplateMoveForm,
    TemplateOrderForm,
    TemplateSectionForm,
)
from designs.views import _form_errors_from


def _edit_access(request: HtmxHttpRequest, template_id: int) -> Template:
    try:
        return selectors.template_get_for(request.user, template_id, for_edit=True).template
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc


def _back(template: Template, key: str = "") -> HttpResponse:
    url = reverse("designs:template_detail", args=[template.pk])
    return redirect(f"{url}#tsec-{key}" if key else url)


def _refused(request: HtmxHttpRequest, template: Template, exc: ValidationError) -> HttpResponse:
    """An edit the services refused: the page again, with the reason, as a 400."""
    return _render_detail(request, template, error=" ".join(exc.messages), status=400)


@login_required
@require_GET
def template_list(request: HtmxHttpRequest) -> HttpResponse:
    templates = list(selectors.template_list_shown(fetched_by=request.user))
    owned = list(selectors.teams_owned(fetched_by=request.user))
    return render(request, "designs/templates.html", {"templates": templates, "owned_teams": owned})


@login_required
@require_http_methods(["GET", "POST"])
def template_create(request: HtmxHttpRequest) -> HttpResponse:
    teams = list(selectors.teams_owned(fetched_by=request.user))
    if not teams:
        messages.info(request, "Only a team's owners make its templates: own a team first.")
        return redirect("teams:list")
    form = TemplateCreateForm(
        request.POST or None,
        request.FILES or None,
        teams=teams,
        initial={"team": request.GET.get("team") or teams[0].pk},
    )
    status = 200
    if request.method == "POST":
        status = 413 if getattr(form, "too_large", False) else 400
        if form.is_valid():
            team = next(t for t in teams if t.pk == form.cleaned_data["team"])
            data = form.cleaned_data
            try:
                if data.get("text"):
                    template = ts.template_create_from_markdown(
                        team=team,
                        text=data["text"],
                        name=data["name"],
                        description=data["description"],
                        created_by=request.user,
                    )
                else:
                    template = ts.template_create(
                        team=team,
                        name=data["name"],
                        description=data["description"],
                        sections=[ts.SectionDraft(title="Overview")],
                        created_by=request.user,
                    )
            except PermissionError as exc:
                raise PermissionDenied(str(exc)) from exc
            except ValidationError as exc:
                _form_errors_from(form, exc)
            else:
                messages.success(request, f"Template “{template.name}” created.")
                return _back(template)
    return render(request, "designs/template_create.html", {"form": form}, status=status)


def _render_detail(
    request: HtmxHttpRequest,
    template: Template | None = None,
    *,
    template_id: int | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    access = selectors.template_get_for(request.user, template_id or template.pk)  # type: ignore[union-attr]
    sections = selectors.template_sections(template=access.template)
    for section in sections:
        section.guidance_html = render_markdown(section.guidance)  # type: ignore[attr-defined]
    context = {
        "template": access.template,
        "access": access,
        "sections": sections,
        "error": error,
        "owned_teams": list(selectors.teams_owned(fetched_by=request.user)),
        "roles_text": {s.key: ", ".join(s.signoff_roles) for s in sections},
    }
    return render(request, "designs/template_detail.html", context, status=status)


@login_required
@require_GET
def template_detail(request: HtmxHttpRequest, template_id: int) -> HttpResponse:
    return _render_detail(request, template_id=template_id)


@login_required
@require_POST
def template_edit(request: HtmxHttpRequest, template_id: int) -> HttpResponse:
    template = _edit_access(request, template_id)
    form = TemplateMetaForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, template, error="A template needs a name.", status=400)
    try:
        ts.template_update(
            template=template,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            edited_by=request.user,
        )
    except ValidationError as exc:
        return _refused(request, template, exc)
    messages.success(request, "Saved.")
    return _back(template)


@login_required
@require_POST
def template_section_add(request: HtmxHttpRequest, template_id: int) -> HttpResponse:
    template = _edit_access(request, template_id)
    form = TemplateSectionForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, template, error="A section needs a title.", status=400)
    try:
        ts.template_section_add(
            template=template,
            title=form.cleaned_data["title"],
            guidance=form.cleaned_data["guidance"],
            signoff_roles=ts.parse_roles(form.cleaned_data["signoff_roles"]),
            edited_by=request.user,
        )
    except ValidationError as exc:
        return _refused(request, template, exc)
    key = template.sections.order_by("-position").values_list("key", flat=True).first() or ""
    return _back(template, key)


@login_required
@require_POST
def template_section_edit(request: HtmxHttpRequest, template_id: int, key: str) -> HttpResponse:
    template = _edit_access(request, template_id)
    form = TemplateSectionForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, template, error="A section needs a title.", status=400)
    try:
        ts.template_section_update(
            template=template,
            key=key,
            title=form.cleaned_data["title"],
            guidance=form.cleaned_data["guidance"],
            signoff_roles=ts.parse_roles(form.cleaned_data["signoff_roles"]),
            edited_by=request.user,
        )
    except ValidationError as exc:
        return _refused(request, template, exc)
    messages.success(request, "Section saved.")
    return _back(template, key)


@login_required
@require_POST
def template_section_move(request: HtmxHttpRequest, template_id: int, key: str) -> HttpResponse:
    template = _edit_access(request, template_id)
    form = TemplateMoveForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, template, error="Move a section up or down.", status=400)
    offset = -1 if form.cleaned_data["direction"] == "up" else 1
    try:
        ts.template_section_move(template=template, key=key, offset=offset, edited_by=request.user)
    except ValidationError as exc:
        return _refused(request, template, exc)
    if request.htmx:
        return HttpResponse(status=204)
    return _back(template, key)


@login_required
@require_POST
def template_section_remove(request: HtmxHttpRequest, template_id: int, key: str) -> HttpResponse:
    template = _edit_access(request, template_id)
    try:
        ts.template_section_remove(template=template, key=key, edited_by=request.user)
    except ValidationError as exc:
        return _refused(request, template, exc)
    messages.success(request, "Section removed. Designs made from the template keep theirs.")
    return _back(template)


@login_required
@require_POST
def template_reorder(request: HtmxHttpRequest, template_id: int) -> HttpResponse:
    template = _edit_access(request, template_id)
    form = TemplateOrderForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, template, error="Send the new order.", status=400)
    try:
        ts.template_sections_reorder(template=template, keys=form.keys, edited_by=request.user)
    except ValidationError as exc:
        return _refused(request, template, exc)
    if request.htmx:
        return HttpResponse(status=204)
    return _back(template)


@login_required
@require_POST
def template_copy(request: HtmxHttpRequest, template_id: int) -> HttpResponse:
    source = selectors.template_get_for(request.user, template_id).template
    teams = list(selectors.teams_owned(fetched_by=request.user))
    if not teams:
        raise PermissionDenied("Only a team owner can make templates.")
    form = TemplateCopyForm(request.POST, teams=teams)
    if not form.is_valid():
        return _render_detail(request, source, error="Pick a team you own.", status=400)
    team = next(t for t in teams if t.pk == form.cleaned_data["team"])
    try:
        copy = ts.template_copy(
            source=source, team=team, name=form.cleaned_data["name"], created_by=request.user
        )
    except ValidationError as exc:
        return _refused(request, source, exc)
    messages.success(request, f"Copied into “{copy.name}” for {team.name}: edit it below.")
    return _back(copy)


# Markdown import --------------------------------------------------------------------------


def _assignments(request: HtmxHttpRequest, plan: importing.ImportPlan) -> dict[int, str]:
    chosen = {}
    for match in plan.matches:
        value = request.POST.get(f"part-{match.part.index}")
        if value:
            chosen[match.part.index] = value
    return chosen


@login_required
@require_http_methods(["GET", "POST"])
def design_import(request: HtmxHttpRequest) -> HttpResponse:
    """Two steps: the document in, then a preview of where each heading goes (nothing is
    created until the preview is confirmed)."""
    teams = list(selectors.teams_for_new_design(fetched_by=request.user))
    if not teams:
        messages.info(request, "Create or join a team first: every design belongs to a team.")
        return redirect("teams:list")
    templates = list(selectors.template_list_shown(fetched_by=request.user))
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        teams=teams,
        templates=templates,
        initial={"team": request.GET.get("team") or teams[0].pk},
    )
    if request.method == "GET":
        return render(request, "designs/design_import.html", {"form": form})
    if not form.is_valid():
        status = 413 if getattr(form, "too_large", False) else 400
        return render(request, "designs/design_import.html", {"form": form}, status=status)
    data = form.cleaned_data
    team = next(t for t in teams if t.pk == data["team"])
    template = next(t for t in templates if t.pk == data["template"])
    try:
        plan = importing.import_plan(text=data["text"], template=template)
    except ValidationError as exc:
        _form_errors_from(form, exc)
        status = 413 if isinstance(exc, importing.ImportTooLarge) else 400
        return render(request, "designs/design_import.html", {"form": form}, status=status)
    error = ""
    if "confirm" in request.POST:
        try:
            design = importing.design_import(
                team=team,
                template=template,
                text=data["text"],
                title=data["title"],
                assignments=_assignments(request, plan),
                created_by=request.user,
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"Imported “{design.title}”.")
            return redirect(design)
    chosen = _assignments(request, plan) if "confirm" in request.POST else {}
    rows = [
        {
            "index": m.part.index,
            "heading": m.part.heading,
            "how": m.how,
            "ratio": m.ratio,
            "snippet": m.part.body[:200],
            "selected": chosen.get(m.part.index, m.key),
        }
        for m in plan.matches
    ]
    context = {
        "form": form,
        "plan": plan,
        "rows": rows,
        "text": data["text"],
        "title": data["title"] or plan.document.title,
        "team": team,
        "template": template,
        "own_section": importing.OWN_SECTION,
        "error": error,
    }
    return render(request, "designs/design_import.html", context, status=400 if error else 200)
