"""Applying and dismissing suggested edits. Like every review action, a POST that works as
a plain form (redirecting back to the section) and, with htmx, answers with the section's
threads. A suggestion is made with the comment form (``views.comment_add``)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.views.decorators.http import require_POST

from config.http import HtmxHttpRequest
from reviews import selectors, services
from reviews.forms import SuggestionDismissForm
from reviews.views import _refusal, _threads_response


@login_required
@require_POST
def suggestion_apply(request: HtmxHttpRequest, comment_id: int) -> HttpResponse:
    access, suggestion = selectors.suggestion_get_for(request.user, comment_id)
    key = suggestion.section.key
    try:
        services.suggestion_apply(suggestion=suggestion, applied_by=request.user)
    except (ValidationError, PermissionError) as exc:
        return _refusal(request, access, key, exc, error_for=f"suggestion-{suggestion.pk}")
    if request.htmx:
        # The section's text changed too: the page loads again (a redirect to the same page
        # with another #fragment would only scroll).
        response = HttpResponse(status=200)
        response["HX-Refresh"] = "true"
        return response
    return _threads_response(request, access, key)


@login_required
@require_POST
def suggestion_dismiss(request: HtmxHttpRequest, comment_id: int) -> HttpResponse:
    access, suggestion = selectors.suggestion_get_for(request.user, comment_id)
    key = suggestion.section.key
    form = SuggestionDismissForm(request.POST)
    draft = request.POST.get("body", "")
    if not access.can_edit:
        return _refusal(
            request,
            access,
            key,
            PermissionError("Only the design's team can dismiss suggestions."),
        )
    if not form.is_valid():
        return _threads_response(
            request,
            access,
            key,
            status=400,
            error="Say why you dismiss it.",
            error_for=f"suggestion-{suggestion.pk}",
            draft=draft,
        )
    try:
        services.suggestion_dismiss(
            suggestion=suggestion, dismissed_by=request.user, reply=form.cleaned_data["body"]
        )
    except (ValidationError, PermissionError) as exc:
        return _refusal(
            request, access, key, exc, error_for=f"suggestion-{suggestion.pk}", draft=draft
        )
    return _threads_response(request, access, key)
