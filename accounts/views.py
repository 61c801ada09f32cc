from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.forms import MemberAddForm, SignInForm, SignupForm, TeamForm
from accounts.models import Membership, User
from config.http import HtmxHttpRequest


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@require_http_methods(["GET", "POST"])
def signup(request: HtmxHttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("designs:dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to Crit, {user.username}. Create or join a team.")
            return redirect("teams:list")
    return render(
        request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_list(request: HtmxHttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(name=form.cleaned_data["name"], created_by=request.user)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Team “{team.name}” created.")
            return redirect(team)
    teams = selectors.team_list(fetched_by=request.user)
    return render(
        request,
        "accounts/team_list.html",
        {"teams": teams, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET"])
def team_detail(request: HtmxHttpRequest, team_id: int) -> HttpResponse:
    team = selectors.team_get_for(request.user, team_id)
    return _render_team(request, team, MemberAddForm())


def _render_team(request, team, form, status=200, notice: str = "") -> HttpResponse:
    role = selectors.team_role_of(team=team, user=request.user)
    context = {
        "team": team,
        "memberships": selectors.team_memberships(team=team),
        "is_owner": role == "owner",
        "form": form,
        "notice": notice,
    }
    template = "accounts/team_detail.html"
    if request.htmx:
        template += "#members"
    return render(request, template, context, status=status)


@login_required
@require_POST
def team_member_add(request: HtmxHttpRequest, team_id: int) -> HttpResponse:
    team = selectors.team_get_for(request.user, team_id)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            membership = services.team_member_add(
                team=team,
                identifier=form.cleaned_data["identifier"],
                role=form.cleaned_data["role"],
                added_by=request.user,
            )
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            form.errors.clear()
            form.add_error("identifier", exc.message_dict.get("user", exc.messages))
        else:
            role = "an owner" if membership.role == Membership.Role.OWNER else "a member"
            notice = f"{membership.user.username} is now {role} of {team.name}."
            if not request.htmx:
                messages.success(request, notice)
                return redirect(team)
            return _render_team(request, team, MemberAddForm(), notice=notice)
    status = 400 if form.errors else 200
    return _render_team(request, team, form, status)


@login_required
@require_POST
def team_member_remove(request: HtmxHttpRequest, team_id: int, user_id: int) -> HttpResponse:
    team = selectors.team_get_for(request.user, team_id)
    member = User.objects.filter(pk=user_id).first()
    if member is None:
        return redirect(team)
    try:
        services.team_member_remove(team=team, user=member, removed_by=request.user)
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if member == request.user:
        return redirect("teams:list")
    return redirect(team)


class SignInView(LoginView):
    """Django's sign-in (a new session key on success) with failed attempts throttled: a
    locked-out attempt gets 429 with Retry-After and the form says how long to wait."""

    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_invalid(form)
        if form.throttled_for:
            response.status_code = 429
            response["Retry-After"] = str(form.throttled_for)
        return response
