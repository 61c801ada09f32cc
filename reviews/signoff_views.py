"""Section sign-off pages and actions. Every action is a POST that works as a plain form
(redirecting back to the section) and, with htmx, answers with the section's sign-off
panel (plus the sidebar's summary and the design's status, out of band)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import TeamRole, User
from config.http import HtmxHttpRequest
from designs import selectors as design_selectors
from designs.models import Section
from designs.selectors import DesignAccess
from reviews import services
from reviews.forms import SignoffForm, SignoffSettingsForm
from reviews.selectors import signoffs as selectors
from reviews.views import _refuse

TEMPLATE = "reviews/signoffs.html"


def _back(section: Section) -> str:
    return f"{section.design.get_absolute_url()}#signoff-{section.key}"


def _panel_response(
    request: HtmxHttpRequest, access: DesignAccess, section: Section, *, partial: str
) -> HttpResponse:
    sections = list(design_selectors.design_sections(design=access.design))
    signoffs = selectors.design_signoffs(
        design=access.design,
        sections=sections,
        viewer=request.user,  # type: ignore[arg-type]
    )
    state = next(s for s in signoffs.sections if s.section.pk == section.pk)
    state.section.signoff = state  # type: ignore[attr-defined]
    access.design.refresh_from_db(fields=["status"])
    context = {
        "design": access.design,
        "access": access,
        "section": state.section,
        "signoffs": signoffs,
    }
    return render(request, f"{TEMPLATE}#{partial}", context)


@login_required
@require_GET
def signoff_panel(request: HtmxHttpRequest, design_id: int, key: str) -> HttpResponse:
    """The section's sign-off panel; without htmx, the section on the design page."""
    access, section = design_selectors.section_get_for(request.user, design_id, key)
    if not request.htmx:
        return redirect(_back(section))
    return _panel_response(request, access, section, partial="section-signoff")


def _role_of(access: DesignAccess, role_id: int | None) -> TeamRole | None:
    if role_id is None:
        return None
    role = TeamRole.objects.filter(pk=role_id, team_id=access.design.team_id).first()
    if role is None:
        raise ValidationError("No such role in the design's team.")
    return role


def _signoff_action(request: HtmxHttpRequest, design_id: int, key: str, *, give: bool):
    access, section = design_selectors.section_get_for(request.user, design_id, key)
    form = SignoffForm(request.POST)
    if not form.is_valid():
        return _refuse(request, "Choose a role of the team.", status=400, back=_back(section))
    try:
        role = _role_of(access, form.cleaned_data["role"])
        if give:
            services.signoff_give(section=section, given_by=request.user, role=role)
            notice = f"You signed off “{section.title}” at version {section.version}."
        else:
            services.signoff_withdraw(section=section, withdrawn_by=request.user, role=role)
            notice = f"You withdrew your sign-off of “{section.title}”."
    except PermissionError as exc:
        return _refuse(request, str(exc), status=403, back=_back(section))
    except ValidationError as exc:
        return _refuse(request, " ".join(exc.messages), status=400, back=_back(section))
    if not request.htmx:
        messages.success(request, notice)
        return redirect(_back(section))
    return _panel_response(request, access, section, partial="signoff-response")


@login_required
@require_POST
def signoff_give(request: HtmxHttpRequest, design_id: int, key: str) -> HttpResponse:
    """Sign off the section at its current version, by name or as holder of ``role``."""
    return _signoff_action(request, design_id, key, give=True)


@login_required
@require_POST
def signoff_withdraw(request: HtmxHttpRequest, design_id: int, key: str) -> HttpResponse:
    """Take back one's sign-off (nothing to take back is no error)."""
    return _signoff_action(request, design_id, key, give=False)


@login_required
@require_http_methods(["GET", "POST"])
def signoff_settings(request: HtmxHttpRequest, design_id: int, key: str) -> HttpResponse:
    """The design's editors set the section's owner and required sign-offs."""
    try:
        access, section = design_selectors.section_get_for(
            request.user, design_id, key, for_edit=True
        )
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    design = access.design
    section.design = design
    choices = selectors.signoff_choices(design=design)
    error, status = "", 200
    if request.method == "POST":
        form = SignoffSettingsForm(request.POST)
        if form.is_valid():
            people_ids = set(form.cleaned_data["people"])
            role_ids = set(form.cleaned_data["roles"])
            owner_id = form.cleaned_data["owner"]
            try:
                people = list(User.objects.filter(pk__in=people_ids, is_active=True))
                roles = [r for r in choices.roles if r.pk in role_ids]
                if len(people) != len(people_ids):
                    raise ValidationError({"people": "No such person."})
                if len(roles) != len(role_ids):
                    raise ValidationError({"roles": "No such role in the design's team."})
                services.section_signoff_settings_set(
                    section=section,
                    owner=_user(owner_id, field="owner"),
                    people=people,
                    roles=roles,
                    set_by=request.user,
                )
            except PermissionError as exc:
                raise PermissionDenied(str(exc)) from exc
            except ValidationError as exc:
                error, status = " ".join(exc.messages), 400
            else:
                if not request.htmx:
                    messages.success(request, f"Sign-offs of “{section.title}” saved.")
                    return redirect(_back(section))
                return _panel_response(request, access, section, partial="signoff-response")
        else:
            error, status = "Choose people and roles from the lists.", 400
        owner_id = form.cleaned_data.get("owner") if form.is_valid() else None
        people_ids = set(form.cleaned_data.get("people") or [])
        role_ids = set(form.cleaned_data.get("roles") or [])
    else:
        state = selectors.section_signoffs(section=section, viewer=request.user)  # type: ignore[arg-type]
        owner_id = state.owner.pk if state.owner else None
        people_ids = {r.requirement.user_id for r in state.rows if r.requirement.user_id}
        role_ids = {r.requirement.role_id for r in state.rows if r.requirement.role_id}
    context = {
        "design": design,
        "section": section,
        "choices": choices,
        "owner_id": owner_id,
        "people_ids": people_ids,
        "role_ids": role_ids,
        "error": error,
    }
    template = f"{TEMPLATE}#signoff-settings" if request.htmx else "reviews/signoff_settings.html"
    return render(request, template, context, status=status)


def _user(user_id: int | None, *, field: str) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise ValidationError({field: "No such person."})
    return user
