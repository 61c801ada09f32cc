from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, PasswordChangeView
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.forms import (
    InviteForm,
    MemberRoleForm,
    SignInForm,
    SignupForm,
    TeamForm,
    ThrottledPasswordChangeForm,
)
from accounts.models import Membership, Team, User
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
            login(request, user, backend="accounts.backends.ThrottledModelBackend")
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
    return _render_team(request, team, InviteForm())


def _render_team(
    request: HtmxHttpRequest,
    team: Team,
    form: InviteForm,
    status: int = 200,
    notice: str = "",
    error: str = "",
) -> HttpResponse:
    role = selectors.team_role_of(team=team, user=request.user)
    context = {
        "team": team,
        "memberships": selectors.team_memberships(team=team),
        "is_owner": role == Membership.Role.OWNER,
        "roles": Membership.Role.choices,
        "form": form,
        "notice": notice,
        "error": error,
    }
    template = "accounts/team_detail.html"
    if request.htmx:
        template += "#members"
    return render(request, template, context, status=status)


@login_required
@require_POST
def team_invite(request: HtmxHttpRequest, team_id: int) -> HttpResponse:
    """Invite someone. The answer is the same whether or not the name or address belongs
    to anyone, is already in the team or already invited."""
    team = selectors.team_get_for(request.user, team_id)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            services.team_invite(
                team=team,
                identifier=form.cleaned_data["identifier"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
        except services.InvitationRateLimited as exc:
            form.add_error("identifier", exc.message_dict["user"])
            response = _render_team(request, team, form, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        except ValidationError as exc:
            form.add_error("identifier", exc.message_dict.get("user", exc.messages))
        else:
            if not request.htmx:
                messages.success(request, services.INVITATION_SENT)
                return redirect(team)
            return _render_team(request, team, InviteForm(), notice=services.INVITATION_SENT)
    return _render_team(request, team, form, status=400)


@login_required
@require_POST
def team_member_role(request: HtmxHttpRequest, team_id: int, user_id: int) -> HttpResponse:
    team = selectors.team_get_for(request.user, team_id)
    membership = selectors.team_member_get(team=team, user_id=user_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        return _render_team(request, team, InviteForm(), 400, error="Role must be owner or member.")
    try:
        membership = services.team_member_role_set(
            team=team, user=membership.user, role=form.cleaned_data["role"], changed_by=request.user
        )
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationError as exc:
        return _render_team(request, team, InviteForm(), 400, error=" ".join(exc.messages))
    notice = f"{membership.user.username} is now {membership.get_role_display().lower()}."
    if not request.htmx:
        messages.success(request, notice)
        return redirect(team)
    return _render_team(request, team, InviteForm(), notice=notice)


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


def _render_invitations(
    request: HtmxHttpRequest, status: int = 200, error: str = ""
) -> HttpResponse:
    invitations = selectors.invitation_list_pending(fetched_by=request.user)
    context = {"invitations": invitations, "error": error}
    return render(request, "accounts/team_invitations.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def invitation_list(request: HtmxHttpRequest) -> HttpResponse:
    return _render_invitations(request)


@login_required
@require_POST
def invitation_accept(request: HtmxHttpRequest, invitation_id: int) -> HttpResponse:
    invitation = selectors.invitation_get_for(request.user, invitation_id)
    try:
        services.invitation_accept(invitation=invitation, accepted_by=request.user)
    except ValidationError as exc:
        return _render_invitations(request, status=400, error=" ".join(exc.messages))
    messages.success(request, f"You joined {invitation.team.name}.")
    return redirect(invitation.team)


@login_required
@require_POST
def invitation_decline(request: HtmxHttpRequest, invitation_id: int) -> HttpResponse:
    invitation = selectors.invitation_get_for(request.user, invitation_id)
    try:
        services.invitation_decline(invitation=invitation, declined_by=request.user)
    except ValidationError as exc:
        return _render_invitations(request, status=400, error=" ".join(exc.messages))
    messages.success(request, f"You declined the invitation to {invitation.team.name}.")
    return redirect("teams:invitations")


class SignInView(LoginView):
    """Django's sign-in (a new session key on success) with failed attempts throttled: a
    locked-out attempt gets 429 with Retry-After and the form says how long to wait."""

    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        return throttled_response(super().form_invalid(form), form)


def throttled_response(response: HttpResponse, form) -> HttpResponse:
    """429 with Retry-After when ``form`` was refused because of a sign-in lockout."""
    if getattr(form, "throttled_for", 0):
        response.status_code = 429
        response["Retry-After"] = str(form.throttled_for)
    return response


class PasswordChangeThrottledView(PasswordChangeView):
    """Django's password change (other sessions end), its current-password check under the
    sign-in lockout."""

    form_class = ThrottledPasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_invalid(self, form) -> HttpResponse:  # type: ignore[override]
        return throttled_response(super().form_invalid(form), form)
