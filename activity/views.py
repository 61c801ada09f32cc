"""Activity pages (a design's, a team's) and the team owners' webhook pages."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors as account_selectors
from accounts.models import Team
from activity import selectors, services
from activity.forms import WebhookEditForm, WebhookForm
from activity.models import EventKind, Webhook
from config.http import HtmxHttpRequest
from designs import selectors as design_selectors
from designs.models import Design


def _events_answer(request: HtmxHttpRequest, *, team: Team, design: Design | None):
    """The activity list of a design or a team, filtered and paginated by the query
    string; 400 with the reason for a filter that cannot be read."""
    context: dict[str, Any] = {
        "team": team,
        "design": design,
        "kinds": EventKind.choices,
        "people": selectors.people_of_team(team=team, design=design),
        "kind": (request.GET.get("kind") or "").strip(),
        "actor": (request.GET.get("actor") or "").strip(),
        "error": "",
    }
    status = 200
    try:
        filters = selectors.event_filters_parse(request.GET)
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        context["page"] = selectors.EventPage(events=[], next_cursor=None)
        status = 400
    else:
        events = (
            selectors.design_events(design=design, filters=filters)
            if design is not None
            else selectors.team_events(team=team, filters=filters)
        )
        context["page"] = selectors.event_page(events)
    template = "activity/event_list.html"
    if request.htmx:
        template += "#events"
    return render(request, template, context, status=status)


@login_required
@require_GET
def design_activity(request: HtmxHttpRequest, design_id: int) -> HttpResponse:
    """Everything that happened to a design, newest first: its team and reviewers see it."""
    access = design_selectors.design_get_for(request.user, design_id)
    return _events_answer(request, team=access.design.team, design=access.design)


@login_required
@require_GET
def team_activity(request: HtmxHttpRequest, team_id: int) -> HttpResponse:
    """Everything that happened in a team and its designs, newest first: members only."""
    team = account_selectors.team_get_for(request.user, team_id)
    return _events_answer(request, team=team, design=None)


def _owned_team(request: HtmxHttpRequest, team_id: int) -> Team:
    try:
        return selectors.webhook_team_get_for(request.user, team_id)
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_list(request: HtmxHttpRequest, team_id: int) -> HttpResponse:
    """The team's webhooks and a form to add one (owners only). A new hook's secret is
    shown on this answer only."""
    team = _owned_team(request, team_id)
    form = WebhookForm(request.POST or None)
    created: Webhook | None = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.webhook_create(
                team=team,
                url=form.cleaned_data["url"],
                kinds=form.cleaned_data["kinds"],
                created_by=request.user,
            )
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            form = WebhookForm()
    context = {
        "team": team,
        "webhooks": selectors.webhook_list(team=team),
        "form": form,
        "created": created,
    }
    status = 400 if form.errors else 200
    return render(request, "activity/webhook_list.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_detail(request: HtmxHttpRequest, team_id: int, webhook_id: int) -> HttpResponse:
    """A webhook: change its URL, events or switch it on and off; its delivery log."""
    team = _owned_team(request, team_id)
    webhook = selectors.webhook_get(team=team, webhook_id=webhook_id)
    initial = {"url": webhook.url, "kinds": webhook.kinds, "active": webhook.active}
    form = WebhookEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_update(
                webhook=webhook,
                url=form.cleaned_data["url"],
                kinds=form.cleaned_data["kinds"],
                active=form.cleaned_data["active"],
                updated_by=request.user,
            )
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Webhook saved.")
            return redirect(webhook)
    return _render_webhook(request, webhook, form, status=400 if form.errors else 200)


def _render_webhook(
    request: HtmxHttpRequest, webhook: Webhook, form, *, status: int = 200, secret: str = ""
) -> HttpResponse:
    context = {
        "team": webhook.team,
        "webhook": webhook,
        "form": form,
        "deliveries": selectors.delivery_list(webhook=webhook),
        "secret": secret,
    }
    return render(request, "activity/webhook_detail.html", context, status=status)


@login_required
@require_POST
def webhook_secret(request: HtmxHttpRequest, team_id: int, webhook_id: int) -> HttpResponse:
    """A new secret for the webhook, shown on this answer only."""
    team = _owned_team(request, team_id)
    webhook = selectors.webhook_get(team=team, webhook_id=webhook_id)
    try:
        services.webhook_secret_regenerate(webhook=webhook, regenerated_by=request.user)
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    initial = {"url": webhook.url, "kinds": webhook.kinds, "active": webhook.active}
    return _render_webhook(
        request, webhook, WebhookEditForm(initial=initial), secret=webhook.secret
    )


@login_required
@require_POST
def webhook_delete(request: HtmxHttpRequest, team_id: int, webhook_id: int) -> HttpResponse:
    team = _owned_team(request, team_id)
    webhook = selectors.webhook_get(team=team, webhook_id=webhook_id)
    try:
        services.webhook_delete(webhook=webhook, deleted_by=request.user)
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    messages.success(request, f"Webhook {webhook.url} removed.")
    return redirect("activity:webhooks", team.pk)


@login_required
@require_POST
def delivery_resend(
    request: HtmxHttpRequest, team_id: int, webhook_id: int, delivery_id: int
) -> HttpResponse:
    """Send a failed delivery's event again (a new delivery in the log)."""
    team = _owned_team(request, team_id)
    webhook = selectors.webhook_get(team=team, webhook_id=webhook_id)
    delivery = selectors.delivery_get(webhook=webhook, delivery_id=delivery_id)
    try:
        services.delivery_resend(delivery=delivery, resent_by=request.user)
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(webhook)
    messages.success(request, "Sent again: the new delivery is at the top of the log.")
    return redirect(webhook)
