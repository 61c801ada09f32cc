import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, PasswordChangeView
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services, throttle
from accounts.forms import (
    InviteForm,
    MemberRoleForm,
    PasswordResetRequestForm,
    SignInForm,
    SignupForm,
    TeamForm,
    TeamRoleAssignForm,
    TeamRoleForm,
    ThrottledPasswordChangeForm,
)
from accounts.models import Membership, Team, User
from config.http import HtmxHttpRequest
from config.ratelimit import wait_words, window_hit


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _limit_wait(key: str, *, limit: int, window: int) -> int:
    """Count one hit on ``key``; the seconds to wait if it went over ``limit`` (0 = no
    limit), else 0."""
    if not limit:
        return 0
    hit = window_hit(key, window=window)
    return hit.retry_after if hit.count > limit else 0


def _too_many(request, template: str, form, wait: int, what: str) -> HttpResponse:
    form.add_error(None, f"Too many {what}. Try again in {wait_words(wait)}.")
    response = render(request, template, {"form": form}, status=429)
    response["Retry-After"] = str(wait)
    return response


@require_http_methods(["GET", "POST"])
def signup(request: HtmxHttpRequest) -> HttpResponse:
    """Sign-up answers the same whether or not the email is known to Crit: the account is
    created, signed in and sent on, and the address gets a mail (a link to confirm it, or a
    note that someone tried to sign up with it)."""
    if request.user.is_authenticated:
        return redirect("designs:dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        address = throttle.client_address(request)
        wait = _limit_wait(
            f"signup:addr:{address}", limit=settings.CRIT_SIGNUPS_PER_ADDRESS, window=3600
        )
        if not wait and form.is_valid() and form.cleaned_data["email"]:
            digest = hashlib.sha256(form.cleaned_data["email"].encode()).hexdigest()[:32]
            wait = _limit_wait(
                f"signup:email:{digest}", limit=settings.CRIT_SIGNUPS_PER_EMAIL, window=3600
            )
        if wait:
            return _too_many(request, "accounts/signup.html", form, wait, "sign-ups")
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_signup(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            login(request, user, backend="accounts.backends.ThrottledModelBackend")
            messages.success(request, f"Welcome to Crit, {user.username}. Create or join a team.")
            if user.email:
                messages.info(
                    request,
                    f"We sent a link to {user.email}: open it to confirm your address. "
                    "Until then nobody can find you by it.",
                )
            return redirect("teams:list")
    return render(
        request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def email_status(request: HtmxHttpRequest) -> HttpResponse:
    """Whether the signed-in user's address is verified; POST mails a new link."""
    user = request.user
    if request.method == "POST":
        wait = _limit_wait(
            f"verify-mail:user:{user.pk}",
            limit=settings.CRIT_VERIFICATION_MAILS_PER_HOUR,
            window=3600,
        )
        if wait:
            messages.error(
                request, f"Too many confirmation mails sent. Try again in {wait_words(wait)}."
            )
            response = render(request, "accounts/email_status.html", status=429)
            response["Retry-After"] = str(wait)
            return response
        if services.email_verification_request(user=user):
            messages.success(request, f"We sent a new link to {user.email}.")
        return redirect("accounts:email")
    return render(request, "accounts/email_status.html")


@require_http_methods(["GET", "POST"])
def email_verify(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """The link mailed to an address: GET shows whose address it confirms (no change on
    GET), POST confirms it."""
    try:
        if request.method == "POST":
            user = services.user_email_verify(token=token)
        else:
            user = selectors.user_for_verification_token(token)
    except ValidationError as exc:
        return render(
            request, "accounts/email_verify.html", {"error": " ".join(exc.messages)}, status=400
        )
    if request.method == "POST":
        messages.success(request, f"Thank you: {user.email} is confirmed.")
        return redirect("designs:dashboard" if request.user.is_authenticated else "accounts:login")
    return render(request, "accounts/email_verify.html", {"verify_user": user})


class PasswordResetRequestView(auth_views.PasswordResetView):
    """Ask for a reset link. The same page and message whether or not the address is known;
    limited per network address and per email address asked for."""

    form_class = PasswordResetRequestForm
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form) -> HttpResponse:  # type: ignore[override]
        address = throttle.client_address(self.request)
        email = form.cleaned_data["email"].strip().lower()
        digest = hashlib.sha256(email.encode()).hexdigest()[:32]
        wait = _limit_wait(
            f"reset:addr:{address}", limit=settings.CRIT_RESETS_PER_ADDRESS, window=3600
        ) or _limit_wait(f"reset:email:{digest}", limit=settings.CRIT_RESETS_PER_EMAIL, window=3600)
        if wait:
            return _too_many(self.request, self.template_name, form, wait, "reset requests")
        return super().form_valid(form)


class PasswordResetConfirmThrottledView(auth_views.PasswordResetConfirmView):
    """Set a new password from a reset link; it also lifts the account's sign-in lockout
    (whoever holds the mailbox is the owner)."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    http_method_names = ["get", "post", "head", "options"]

    def dispatch(self, request, *args, **kwargs) -> HttpResponseBase:
        # Django's view shows an invalid link's page for any method; answer the others 405.
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        throttle.signin_succeeded(username=form.user.get_username())
        return response


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
    partial: str = "members",
    role_form: TeamRoleForm | None = None,
) -> HttpResponse:
    role = selectors.team_role_of(team=team, user=request.user)
    context = {
        "team": team,
        "memberships": selectors.team_memberships(team=team),
        "is_owner": role == Membership.Role.OWNER,
        "roles": Membership.Role.choices,
        "team_roles": selectors.team_role_list(team=team),
        "role_form": role_form or TeamRoleForm(),
        "form": form,
        "notice": notice,
        "error": error,
    }
    template = "accounts/team_detail.html"
    if request.htmx:
        template += f"#{partial}"
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


def _roles_answer(
    request: HtmxHttpRequest,
    team: Team,
    *,
    notice: str = "",
    error: str = "",
    status: int = 200,
    role_form: TeamRoleForm | None = None,
) -> HttpResponse:
    """htmx gets the roles card again; a plain form post goes back to the team page (or,
    refused, gets the page with the reason)."""
    if not request.htmx and not error and role_form is None:
        messages.success(request, notice)
        return redirect(team.get_absolute_url() + "#team-roles")
    return _render_team(
        request,
        team,
        InviteForm(),
        status,
        notice=notice,
        error=error,
        partial="team-roles",
        role_form=role_form,
    )


@login_required
@require_POST
def team_role_add(request: HtmxHttpRequest, team_id: int) -> HttpResponse:
    """Team owners define a role (e.g. "security") that sections can require a sign-off of."""
    team = selectors.team_get_for(request.user, team_id)
    form = TeamRoleForm(request.POST)
    if not form.is_valid():
        return _roles_answer(request, team, status=400, role_form=form)
    try:
        role = services.team_role_add(
            team=team, name=form.cleaned_data["name"], added_by=request.user
        )
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationError as exc:
        _apply_errors(form, exc)
        return _roles_answer(request, team, status=400, role_form=form)
    return _roles_answer(request, team, notice=f"Role “{role.name}” added.")


@login_required
@require_POST
def team_role_remove(request: HtmxHttpRequest, team_id: int, role_id: int) -> HttpResponse:
    team = selectors.team_get_for(request.user, team_id)
    role = selectors.team_role_get(team=team, role_id=role_id)
    try:
        services.team_role_remove(team=team, role=role, removed_by=request.user)
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    return _roles_answer(request, team, notice=f"Role “{role.name}” removed.")


@login_required
@require_POST
def team_role_assign(request: HtmxHttpRequest, team_id: int, role_id: int) -> HttpResponse:
    """Give a member the role (``held=1``) or relieve them of it (``held=0``)."""
    team = selectors.team_get_for(request.user, team_id)
    role = selectors.team_role_get(team=team, role_id=role_id)
    form = TeamRoleAssignForm(request.POST)
    if not form.is_valid():
        return _roles_answer(request, team, status=400, error="Choose a member of the team.")
    try:
        membership = selectors.team_member_get(team=team, user_id=form.cleaned_data["user"])
    except Http404:
        return _roles_answer(request, team, status=400, error="Choose a member of the team.")
    held = bool(form.cleaned_data["held"])
    try:
        services.team_role_assign(
            team=team, role=role, user=membership.user, held=held, changed_by=request.user
        )
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    name = membership.user.username
    notice = f"{name} holds “{role.name}”." if held else f"{name} no longer holds “{role.name}”."
    return _roles_answer(request, team, notice=notice)


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
