"""The token settings page. The JSON API itself lives in ``api.v1``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from api import selectors, services
from api.forms import TokenCreateForm
from config.http import HtmxHttpRequest

PAGE_TEMPLATE = "api/token_list.html"


def _render_tokens(
    request: HtmxHttpRequest,
    form: TokenCreateForm,
    *,
    issued: services.IssuedToken | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "tokens": selectors.token_list(fetched_by=request.user),
        "form": form,
        "issued": issued,
    }
    template = f"{PAGE_TEMPLATE}#tokens" if request.htmx else PAGE_TEMPLATE
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HtmxHttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.token_create(user=request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_error("name", exc.message_dict.get("name", exc.messages))
        else:
            # Shown on this response only: the secret is never stored, so no redirect.
            return _render_tokens(request, TokenCreateForm(), issued=issued)
    return _render_tokens(request, form, status=400 if form.errors else 200)


@login_required
@require_POST
def token_revoke(request: HtmxHttpRequest, token_id: int) -> HttpResponse:
    token = selectors.token_get_for(request.user, token_id)
    try:
        services.token_revoke(token=token, revoked_by=request.user)
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    if request.htmx:
        return _render_tokens(request, TokenCreateForm())
    messages.success(request, f"Token “{token.name}” revoked; it no longer works.")
    return redirect("api:tokens")
