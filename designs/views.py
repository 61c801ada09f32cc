import secrets
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.csp import CSP
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import invitation_list_pending
from config.converters import parse_id
from config.http import HtmxHttpRequest
from designs import page, selectors, services
from designs.calc import services as calc_services
from designs.diagrams import page as diagrams_page
from designs.forms import (
    DesignCreateForm,
    DesignEditForm,
    DesignLinkForm,
    DiffForm,
    RestoreForm,
    SectionForm,
)
from designs.models import Design, DesignLink, Section
from designs.signals import section_live_text

PAGE_TEMPLATE = "designs/design_detail.html"


def _form_errors_from(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _edit_access(request: HtmxHttpRequest, design_id: int, key: str | None = None):
    try:
        if key is None:
            return selectors.design_get_for(request.user, design_id, for_edit=True), None
        return selectors.section_get_for(request.user, design_id, key, for_edit=True)
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc


@require_GET
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        # The sign-in page is the front door; no "?next=/" needed for the home page.
        return redirect(settings.LOGIN_URL)
    team = request.GET.get("team") or ""
    status = request.GET.get("status") or None
    team_id = parse_id(team) if team else None
    if (team and team_id is None) or (status is not None and status not in Design.Status.values):
        message = (
            "That filter is not one Crit knows: the team is a team's number and the status "
            "one of " + ", ".join(Design.Status.values) + ". Nothing was filtered."
        )
        return HttpResponse(render_to_string("400.html", {"message": message}), status=400)
    filters = (team_id, status, request.GET.get("page") or "1")
    page_request = page.PageRequest(page="dashboard", request=request)

    def render(csrf_token: str | None, csp_nonce: str | None) -> str:
        designs = selectors.design_list(fetched_by=request.user, team_id=filters[0], status=status)
        page_obj = Paginator(designs, 25).get_page(filters[2])
        page_obj.object_list = list(page_obj.object_list)
        selectors.design_superseders_attach(designs=page_obj.object_list, fetched_by=request.user)
        context = {
            "page_obj": page_obj,
            "teams": selectors.teams_shown(fetched_by=request.user),
            "statuses": Design.Status.choices,
            "selected_team": filters[0],
            "selected_status": status,
            "invitations": list(invitation_list_pending(fetched_by=request.user)),
        }
        if csrf_token is not None:  # placeholders, for a page kept in the cache
            context.update(csrf_token=csrf_token, csp_nonce=csp_nonce)
        context.update(page.page_context(page_request))
        template = (
            "designs/dashboard.html#design-list" if request.htmx else "designs/dashboard.html"
        )
        return render_to_string(template, context, request)

    if request.htmx:
        return HttpResponse(render(None, None))
    return HttpResponse(page.cached_page(page_request, render, shown=filters))


@login_required
@require_http_methods(["GET", "POST"])
def design_create(request: HtmxHttpRequest) -> HttpResponse:
    teams = list(selectors.teams_for_new_design(fetched_by=request.user))
    templates = list(selectors.template_list(fetched_by=request.user))
    if not teams:
        messages.info(request, "Create or join a team first: every design belongs to a team.")
        return redirect("teams:list")
    initial = {"team": request.GET.get("team") or teams[0].pk}
    form = DesignCreateForm(request.POST or None, teams=teams, templates=templates, initial=initial)
    if request.method == "POST" and form.is_valid():
        team = next(t for t in teams if t.pk == form.cleaned_data["team"])
        template = next(t for t in templates if t.pk == form.cleaned_data["template"])
        try:
            design = services.design_create(
                team=team,
                template=template,
                title=form.cleaned_data["title"],
                summary=form.cleaned_data["summary"],
                created_by=request.user,
            )
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, f"“{design.title}” created. Fill the sections in below.")
            return redirect(design)
    status = 400 if form.errors else 200
    return render(request, "designs/design_create.html", {"form": form}, status=status)


def _render_page(
    request: HtmxHttpRequest,
    access: selectors.DesignAccess,
    *,
    editing: Section | None = None,
    form: SectionForm | None = None,
    conflict: Section | None = None,
    preview_html: str | None = None,
    status: int = 200,
    cacheable: bool = False,
) -> HttpResponse:
    def render(csrf_token: str | None, csp_nonce: str | None) -> str:
        sections = list(selectors.design_sections(design=access.design))
        context: dict = {
            "design": access.design,
            "access": access,
            "sections": sections,
            "editing_key": editing.key if editing else None,
            "form": form,
            "conflict": conflict,
            "preview_html": preview_html,
        }
        if csrf_token is not None:  # placeholders, for a page kept in the cache
            context.update(csrf_token=csrf_token, csp_nonce=csp_nonce)
        context.update(page.page_context(page_request(sections, csrf_token)))
        # The cards are most of the page: the template places a marker where each one goes
        # and they are put in once, at the end, rather than copied through every level.
        marker = f"<!--card-{secrets.token_hex(8)}-->"
        context["card_marker"] = mark_safe(marker)  # noqa: S308
        pieces = render_to_string(PAGE_TEMPLATE, context, request).split(marker)
        cards = [s.card_html for s in sections if s.key != context["editing_key"]]  # type: ignore[attr-defined]
        content = [pieces[0]]
        for card, piece in zip(cards, pieces[1:], strict=True):
            content += (card, piece)
        return "".join(content)

    def page_request(sections: list[Section], csrf_token: str | None = None) -> page.PageRequest:
        return page.PageRequest(
            page="design", request=request, access=access, sections=sections, csrf_token=csrf_token
        )

    if cacheable:
        html = page.cached_page(
            page_request([]),
            render,
            shown=page.design_shown(access),
            moments=[access.design.last_edited_at],
        )
        return _allow_editor_styles(HttpResponse(html, status=status))
    return _allow_editor_styles(HttpResponse(render(None, None), status=status))


def _allow_editor_styles(response: HttpResponse) -> HttpResponse:
    """The design page hosts the live section editor (static/js/build/editor.js), whose
    CodeMirror adds <style> elements carrying the page's nonce: on this page, and only here,
    style-src also allows that nonce. Inline style attributes stay blocked everywhere."""
    policy: dict[str, Any] = dict(settings.SECURE_CSP)
    policy["style-src"] = [*policy.get("style-src", [CSP.SELF]), CSP.NONCE]
    response._csp_config = policy  # type: ignore[attr-defined]  # read by Django's CSP middleware
    return response


@login_required
@require_GET
def design_detail(request: HtmxHttpRequest, design_id: int) -> HttpResponse:
    access = selectors.design_get_for(request.user, design_id)
    return _render_page(request, access, cacheable=not request.GET and not request.htmx)


@login_required
@require_http_methods(["GET", "POST"])
def design_edit(request: HtmxHttpRequest, design_id: int) -> HttpResponse:
    access, _ = _edit_access(request, design_id)
    design = access.design
    form = DesignEditForm(
        request.POST or None, initial={"title": design.title, "summary": design.summary}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.design_update(
                design=design,
                title=form.cleaned_data["title"],
                summary=form.cleaned_data["summary"],
                edited_by=request.user,
            )
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            return redirect(design)
    status = 400 if form.errors else 200
    return render(
        request, "designs/design_edit.html", {"design": design, "form": form}, status=status
    )


def _section_response(
    request: HtmxHttpRequest,
    access: selectors.DesignAccess,
    section: Section,
    *,
    partial: str,
    form: SectionForm | None = None,
    conflict: Section | None = None,
    preview_html: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """An htmx request gets the section's fragment; a plain one gets the whole page."""
    if not request.htmx:
        if partial in ("section-card", "section-saved"):
            return redirect(section.get_absolute_url())
        return _render_page(
            request,
            access,
            editing=section,
            form=form,
            conflict=conflict,
            preview_html=preview_html,
            status=status,
        )
    context = {
        "design": access.design,
        "access": access,
        "section": section,
        "form": form,
        "conflict": conflict,
        "preview_html": preview_html,
    }
    context.update(
        page.page_context(
            page.PageRequest(page="design", request=request, access=access, sections=[section])
        )
    )
    return render(request, f"{PAGE_TEMPLATE}#{partial}", context, status=status)


@login_required
@require_GET
def section_detail(request: HtmxHttpRequest, design_id: int, key: str) -> HttpResponse:
    access, section = selectors.section_get_for(request.user, design_id, key)
    return _section_response(request, access, section, partial="section-card")


def _editor_form(section: Section, data=None) -> SectionForm:
    state = section.state if section.state != Section.State.EMPTY else Section.State.DRAFT
    return SectionForm(
        data,
        initial={
            "body": section.body,
            "state": state,
            "na_reason": section.na_reason,
            "base_version": section.version,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def section_edit(request: HtmxHttpRequest, design_id: int, key: str) -> HttpResponse:
    access, section = _edit_access(request, design_id, key)
    if request.method == "GET":
        return _section_response(
            request, access, section, partial="section-editor", form=_editor_form(section)
        )
    form = _editor_form(section, request.POST)
    if not form.is_valid():
        return _section_response(
            request, access, section, partial="section-editor", form=form, status=400
        )
    data = form.cleaned_data
    if "preview" in request.POST:
        try:
            services.preview_allowance_take(user=request.user)
        except services.PreviewRateLimited as exc:
            form.add_error("body", str(exc))
            response = _section_response(
                request, access, section, partial="section-editor", form=form, status=429
            )
            response["Retry-After"] = str(exc.retry_after)
            return response
        return _section_response(
            request,
            access,
            section,
            partial="section-editor",
            form=form,
            preview_html=diagrams_page.preview_html(
                calc_services.preview_html(
                    design_id=section.design_id, key=section.key, body=data["body"]
                )
            ),
        )
    try:
        with transaction.atomic():
            body, base_version = data["body"], data["base_version"]
            if request.POST.get("yupdate"):
                # The live editor's Save: its Y document is merged into the live one, and
                # the merged text saved against the version it holds (no text joined twice).
                answers = section_live_text.send(
                    sender=Section, section=section, update=request.POST["yupdate"]
                )
                merged = [cast(tuple[str, int], a) for _r, a in answers if a is not None]
                if merged:
                    body, base_version = merged[0]
            save = services.section_save(
                section=section,
                body=body,
                state=data["state"],
                na_reason=data["na_reason"],
                base_version=base_version,
                edited_by=request.user,
            )
    except services.SectionConflict as conflict:
        # Keep the user's text; they merge and save against the current version.
        mine = SectionForm(
            initial={
                "body": data["body"],
                "state": data["state"],
                "na_reason": data["na_reason"],
                "base_version": conflict.current.version,
            }
        )
        return _section_response(
            request,
            access,
            conflict.current,
            partial="section-editor",
            form=mine,
            conflict=conflict.current,
            status=409,
        )
    except ValidationError as exc:
        _form_errors_from(form, exc)
        return _section_response(
            request, access, section, partial="section-editor", form=form, status=400
        )
    saved = save.section
    if save.merged:
        messages.success(
            request,
            f"Someone saved “{saved.title}” while you edited it; your changes did not overlap "
            f"theirs, so both were merged and saved as version {saved.version}.",
        )
    if save.merged and request.htmx:
        # The whole page again, with the merged text and the message saying what happened.
        response = HttpResponse(status=200)
        response["HX-Redirect"] = saved.get_absolute_url()
        return response
    if not request.htmx:
        if not save.merged:
            messages.success(request, f"Saved “{saved.title}” (version {saved.version}).")
        return redirect(saved.get_absolute_url())
    # Coverage and the last edit changed: the fragment also refreshes them out of band.
    access.design.refresh_from_db(
        fields=["covered_count", "section_count", "last_edited_at", "last_edited_by", "status"]
    )
    saved.design = access.design
    return _section_response(request, access, saved, partial="section-saved")


@login_required
@require_POST
def section_preview(request: HtmxHttpRequest, design_id: int, key: str) -> HttpResponse:
    _access, section = _edit_access(request, design_id, key)
    form = SectionForm(request.POST)
    body = request.POST.get("body", "")
    if not form.is_valid() and "body" in form.errors:
        message = format_html('<p class="error">{}</p>', form.errors["body"][0])
        return HttpResponse(message, status=400)
    try:
        services.preview_allowance_take(user=request.user)
    except services.PreviewRateLimited as exc:
        response = HttpResponse(format_html('<p class="error">{}</p>', str(exc)), status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    return render(
        request,
        f"{PAGE_TEMPLATE}#section-preview",
        {
            "preview_html": diagrams_page.preview_html(
                calc_services.preview_html(
                    design_id=section.design_id, key=section.key, body=body.replace("\r\n", "\n")
                )
            )
        },
    )


def _render_history(
    request: HtmxHttpRequest,
    access: selectors.DesignAccess,
    section: Section,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "design": access.design,
        "access": access,
        "section": section,
        "entries": selectors.section_history(section=section),
        "error": error,
    }
    return render(request, "designs/section_history.html", context, status=status)


@login_required
@require_GET
def section_history(request: HtmxHttpRequest, design_id: int, key: str) -> HttpResponse:
    access, section = selectors.section_get_for(request.user, design_id, key)
    return _render_history(request, access, section)


@login_required
@require_GET
def section_diff(request: HtmxHttpRequest, design_id: int, key: str) -> HttpResponse:
    access, section = selectors.section_get_for(request.user, design_id, key)
    form = DiffForm({"from_version": request.GET.get("from"), "to_version": request.GET.get("to")})
    if not form.is_valid():
        return HttpResponse("Versions must be whole numbers.", status=400)
    to_version = form.cleaned_data["to_version"]
    if to_version is None:
        to_version = section.version
    from_version = form.cleaned_data["from_version"]
    if from_version is None:
        from_version = max(to_version - 1, 0)
    old = selectors.revision_text(section=section, version=from_version)
    new = selectors.revision_text(section=section, version=to_version)
    context = {
        "design": access.design,
        "access": access,
        "section": section,
        "from_version": from_version,
        "to_version": to_version,
        "lines": selectors.text_diff(old, new),
        "versions": list(range(section.version, -1, -1)),
    }
    return render(request, "designs/section_diff.html", context)


@login_required
@require_POST
def section_restore(request: HtmxHttpRequest, design_id: int, key: str) -> HttpResponse:
    access, section = _edit_access(request, design_id, key)
    form = RestoreForm(request.POST)
    if not form.is_valid():
        return _render_history(
            request, access, section, error="Pick a version to restore.", status=400
        )
    try:
        saved = services.section_restore(
            section=section,
            version=form.cleaned_data["version"],
            base_version=form.cleaned_data["base_version"],
            restored_by=request.user,
        )
    except services.SectionConflict as conflict:
        error = (
            f"Someone saved this section (now version {conflict.current.version}) while you "
            "were looking at its history; nothing was restored. Check the newest version and "
            "try again."
        )
        return _render_history(request, access, conflict.current, error=error, status=409)
    except ValidationError as exc:
        return _render_history(request, access, section, error=" ".join(exc.messages), status=400)
    messages.success(
        request,
        f"Restored version {form.cleaned_data['version']} as version {saved.version}.",
    )
    return redirect(saved.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def design_links(request: HtmxHttpRequest, design_id: int) -> HttpResponse:
    """The design's related designs: the team's members add links and remove them."""
    access, _ = _edit_access(request, design_id)
    design = access.design
    targets = selectors.design_link_targets(design=design, fetched_by=request.user)
    form = DesignLinkForm(request.POST or None, targets=targets)
    if request.method == "POST" and form.is_valid():
        target = next(t for t in targets if t.pk == form.cleaned_data["target"])
        try:
            link = services.design_link_add(
                design=design,
                target=target,
                kind=form.cleaned_data["kind"],
                added_by=request.user,
            )
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            label = DesignLink.Kind(link.kind).label.lower()
            messages.success(request, f"“{design.title}” now {label} “{target.title}”.")
            return redirect("designs:links", design.pk)
    context = {
        "design": design,
        "access": access,
        "related": selectors.design_links(design=design, fetched_by=request.user),
        "form": form,
    }
    status = 400 if form.errors else 200
    return render(request, "designs/design_links.html", context, status=status)


@login_required
@require_POST
def design_link_remove(request: HtmxHttpRequest, design_id: int, link_id: int) -> HttpResponse:
    access, _ = _edit_access(request, design_id)
    link = selectors.design_link_get_for(request.user, access.design, link_id)
    services.design_link_remove(design=access.design, link=link, removed_by=request.user)
    messages.success(request, "Link removed.")
    return redirect("designs:links", access.design.pk)
