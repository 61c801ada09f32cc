"""Review pages and actions. Every action is a POST that works as a plain form (redirecting
back to the section) and, with htmx, answers with the section's threads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import user_find
from config.http import HtmxHttpRequest
from designs import selectors as design_selectors
from designs.selectors import DesignAccess
from reviews import fragments, selectors, services
from reviews.forms import (
    CommentForm,
    IssueStatusForm,
    NotificationSettingsForm,
    ReplyForm,
    ResolveForm,
    ReviewRequestForm,
    VerdictForm,
)
from reviews.models import Comment

PANELS = "reviews/design_panels.html"


def _messages_of(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _refuse(
    request: HtmxHttpRequest, message: str, *, status: int, back: str | None = None
) -> HttpResponse:
    """A clear refusal: 400 for input that cannot work, 403 for an action not allowed."""
    return render(
        request, "reviews/refused.html", {"message": message, "back": back}, status=status
    )


def _refuse_error(
    request: HtmxHttpRequest, exc: PermissionError | ValidationError, *, back: str | None
) -> HttpResponse:
    """A service's refusal as a page: 403 with its reason when not allowed, 429 with
    Retry-After when over a limit, 400 otherwise."""
    if isinstance(exc, PermissionError):
        return _refuse(request, str(exc), status=403, back=back)
    if isinstance(exc, services.ReviewRequestRateLimited):
        response = _refuse(request, _messages_of(exc), status=429, back=back)
        response["Retry-After"] = str(exc.retry_after)
        return response
    return _refuse(request, _messages_of(exc), status=400, back=back)


def _section_url(access: DesignAccess, key: str) -> str:
    return f"{access.design.get_absolute_url()}#section-{key}"


def _threads_response(
    request: HtmxHttpRequest,
    access: DesignAccess,
    key: str,
    *,
    status: int = 200,
    error: str = "",
    error_for: int | str | None = None,
    draft: str = "",
) -> HttpResponse:
    """An htmx request gets the section's threads (plus the counts, the issue summary and
    the status, swapped out of band); a plain one is sent back to the section."""
    if not request.htmx:
        if error:
            return _refuse(request, error, status=status, back=_section_url(access, key))
        return redirect(_section_url(access, key))
    sections = list(design_selectors.design_sections(design=access.design))
    review = selectors.design_review(design=access.design, sections=sections, viewer=request.user)
    section = next(s for s in sections if s.key == key)
    fragments.threads_html_attach(
        request=request,
        design=access.design,
        sections=[section],
        is_member=access.is_member,
        live_context={"error": error, "error_for": error_for, "draft": draft} if error else None,
    )
    access.design.refresh_from_db(fields=["status"])
    context = {
        "design": access.design,
        "access": access,
        "section": section,
        "review": review,
        "oob": True,
        "error": error,
        "error_for": error_for,
        "draft": draft,
    }
    return render(request, f"{PANELS}#threads-response", context, status=status)


def _comment_access(request: HtmxHttpRequest, comment_id: int) -> tuple[DesignAccess, Comment]:
    return selectors.comment_get_for(request.user, comment_id)


def _refusal(
    request: HtmxHttpRequest, access: DesignAccess, key: str, exc: Exception, **extra
) -> HttpResponse:
    if isinstance(exc, PermissionError):
        return _refuse(request, str(exc), status=403, back=_section_url(access, key))
    assert isinstance(exc, ValidationError)
    if isinstance(exc, services.CommentRateLimited):
        response = _threads_response(
            request, access, key, status=429, error=_messages_of(exc), **extra
        )
        response["Retry-After"] = str(exc.retry_after)
        return response
    return _threads_response(request, access, key, status=400, error=_messages_of(exc), **extra)


def _form_error(form: CommentForm) -> str:
    if "body" in form.errors or not form.errors:
        return "Write something first."
    field, problems = next(iter(form.errors.items()))
    return f"{field}: {' '.join(str(p) for p in problems)}"


# Comments ----------------------------------------------------------------------------------


@login_required
@require_POST
def comment_add(request: HtmxHttpRequest, design_id: int, key: str) -> HttpResponse:
    access, section = design_selectors.section_get_for(request.user, design_id, key)
    form = CommentForm(request.POST)
    draft = request.POST.get("body", "")
    if not form.is_valid():
        return _threads_response(
            request,
            access,
            key,
            status=400,
            error=_form_error(form),
            error_for="new",
            draft=draft,
        )
    try:
        services.comment_add(
            section=section,
            author=request.user,
            body=form.cleaned_data["body"],
            raise_issue=form.cleaned_data["raise_issue"],
            passage=form.passage(),
            replacement=form.replacement_text(),
        )
    except (ValidationError, PermissionError) as exc:
        return _refusal(request, access, key, exc, error_for="new", draft=draft)
    return _threads_response(request, access, key)


@login_required
@require_POST
def comment_reply(request: HtmxHttpRequest, comment_id: int) -> HttpResponse:
    access, parent = _comment_access(request, comment_id)
    key = parent.section.key
    form = ReplyForm(request.POST)
    draft = request.POST.get("body", "")
    if not form.is_valid():
        return _threads_response(
            request,
            access,
            key,
            status=400,
            error="Write something first.",
            error_for=parent.pk,
            draft=draft,
        )
    try:
        services.comment_reply(parent=parent, author=request.user, body=form.cleaned_data["body"])
    except (ValidationError, PermissionError) as exc:
        return _refusal(request, access, key, exc, error_for=parent.pk, draft=draft)
    return _threads_response(request, access, key)


@login_required
@require_http_methods(["GET", "POST"])
def comment_edit(request: HtmxHttpRequest, comment_id: int) -> HttpResponse:
    access, comment = _comment_access(request, comment_id)
    key = comment.section.key
    if comment.author_id != request.user.pk:
        return _refuse(
            request,
            "Only the comment's author can edit it.",
            status=403,
            back=_section_url(access, key),
        )
    form = ReplyForm(request.POST or None, initial={"body": comment.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_edit(
                comment=comment, edited_by=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            form.add_error("body", exc)
        except PermissionError as exc:
            return _refuse(request, str(exc), status=403, back=_section_url(access, key))
        else:
            return _threads_response(request, access, key)
    context = {
        "design": access.design,
        "access": access,
        "comment": comment,
        "form": form,
        "back": _section_url(access, key),
    }
    status = 400 if form.errors else 200
    if request.htmx:
        return render(request, "reviews/comment_edit.html#comment-editor", context, status=status)
    return render(request, "reviews/comment_edit.html", context, status=status)


@login_required
@require_POST
def comment_delete(request: HtmxHttpRequest, comment_id: int) -> HttpResponse:
    access, comment = _comment_access(request, comment_id)
    key = comment.section.key
    try:
        services.comment_delete(comment=comment, deleted_by=request.user)
    except (ValidationError, PermissionError) as exc:
        return _refusal(request, access, key, exc)
    return _threads_response(request, access, key)


@login_required
@require_POST
def issue_status_change(request: HtmxHttpRequest, comment_id: int) -> HttpResponse:
    access, comment = _comment_access(request, comment_id)
    key = comment.section.key
    form = IssueStatusForm(request.POST)
    if not form.is_valid():
        return _refuse(
            request,
            "Choose open, fixed or dropped.",
            status=400,
            back=_section_url(access, key),
        )
    try:
        services.issue_status_change(
            comment=comment, to_status=form.cleaned_data["status"], changed_by=request.user
        )
    except (PermissionError, ValidationError) as exc:
        return _refuse_error(request, exc, back=_section_url(access, key))
    return _threads_response(request, access, key)


@login_required
@require_POST
def thread_resolve(request: HtmxHttpRequest, comment_id: int) -> HttpResponse:
    access, comment = _comment_access(request, comment_id)
    key = comment.section.key
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _refuse(request, "Say whether to resolve or unresolve.", status=400)
    try:
        services.thread_resolve(
            comment=comment, resolved_by=request.user, resolved=bool(form.cleaned_data["resolved"])
        )
    except (PermissionError, ValidationError) as exc:
        return _refuse_error(request, exc, back=_section_url(access, key))
    return _threads_response(request, access, key)


# Review requests and verdicts --------------------------------------------------------------


@login_required
@require_POST
def review_request(request: HtmxHttpRequest, design_id: int) -> HttpResponse:
    access = design_selectors.design_get_for(request.user, design_id)
    back = access.design.get_absolute_url() + "#review-panel"
    form = ReviewRequestForm(request.POST)
    if not form.is_valid():
        return _refuse(request, "Give the reviewer's username or email.", status=400, back=back)
    reviewer = user_find(form.cleaned_data["reviewer"])
    if reviewer is None:
        return _refuse(
            request,
            f"Nobody here is called “{form.cleaned_data['reviewer']}”; "
            "use their username or email address.",
            status=400,
            back=back,
        )
    try:
        services.review_request(
            design=access.design,
            reviewer=reviewer,
            requested_by=request.user,
            message=form.cleaned_data["message"],
        )
    except (PermissionError, ValidationError) as exc:
        return _refuse_error(request, exc, back=back)
    messages.success(request, f"Asked {reviewer.username} to review this design.")
    return redirect(back)


@login_required
@require_POST
def review_withdraw(request: HtmxHttpRequest, design_id: int, username: str) -> HttpResponse:
    try:
        access = design_selectors.design_get_for(request.user, design_id, for_edit=True)
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    back = access.design.get_absolute_url() + "#review-panel"
    reviewer = user_find(username)
    try:
        if reviewer is None:
            raise LookupError(f"Nobody here is called “{username}”.")
        services.review_request_withdraw(
            design=access.design, reviewer=reviewer, withdrawn_by=request.user
        )
    except PermissionError as exc:  # no longer on the team
        return _refuse_error(request, exc, back=back)
    except LookupError as exc:
        return _refuse(request, str(exc), status=404, back=back)
    messages.success(request, f"Withdrew the review request for {reviewer.username}.")
    return redirect(back)


@login_required
@require_POST
def verdict_submit(request: HtmxHttpRequest, design_id: int) -> HttpResponse:
    access = design_selectors.design_get_for(request.user, design_id)
    back = access.design.get_absolute_url() + "#review-panel"
    form = VerdictForm(request.POST)
    if not form.is_valid():
        return _refuse(
            request, "Choose approve, request changes or comment.", status=400, back=back
        )
    try:
        verdict = services.verdict_submit(
            design=access.design,
            reviewer=request.user,
            kind=form.cleaned_data["kind"],
            summary=form.cleaned_data["summary"],
        )
    except (PermissionError, ValidationError) as exc:
        return _refuse_error(request, exc, back=back)
    messages.success(request, f"Your verdict is in: {verdict.get_kind_display().lower()}.")
    return redirect(back)


# Notifications -----------------------------------------------------------------------------


@login_required
@require_GET
def inbox(request: HtmxHttpRequest) -> HttpResponse:
    notifications = selectors.notification_list(fetched_by=request.user)
    page_obj = Paginator(notifications, 30).get_page(request.GET.get("page"))
    return render(request, "reviews/inbox.html", {"page_obj": page_obj})


@login_required
@require_POST
def notification_read(request: HtmxHttpRequest, notification_id: int) -> HttpResponse:
    notification = selectors.notification_get_for(request.user, notification_id)
    services.notification_mark_read(notification=notification, user=request.user)
    if request.htmx:
        return render(request, "reviews/inbox.html#notification", {"item": notification})
    return redirect("reviews:inbox")


@login_required
@require_POST
def notification_open(request: HtmxHttpRequest, notification_id: int) -> HttpResponse:
    notification = selectors.notification_get_for(request.user, notification_id)
    services.notification_mark_read(notification=notification, user=request.user)
    if not url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None):
        return redirect("reviews:inbox")
    return redirect(notification.url)


@login_required
@require_POST
def notifications_read_all(request: HtmxHttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect("reviews:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HtmxHttpRequest) -> HttpResponse:
    instance = selectors.notification_settings_for(user=request.user)
    form = NotificationSettingsForm(request.POST or None, settings_row=instance)
    if request.method == "POST" and form.is_valid():
        services.notification_settings_update(
            user=request.user,
            email_enabled=form.cleaned_data["email_enabled"],
            delivery=form.delivery(),
        )
        messages.success(request, "Email settings saved.")
        return redirect("reviews:settings")
    status = 400 if form.errors else 200
    return render(request, "reviews/notification_settings.html", {"form": form}, status=status)


# Review rounds -----------------------------------------------------------------------------

ROUNDS = "reviews/rounds.html"


@login_required
@require_POST
def review_round_start(request: HtmxHttpRequest, design_id: int) -> HttpResponse:
    """The authors ask every reviewer for another round. htmx gets the rounds panel."""
    try:
        access = design_selectors.design_get_for(request.user, design_id, for_edit=True)
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    back = access.design.get_absolute_url() + "#review-rounds"
    try:
        round_ = services.review_round_start(design=access.design, started_by=request.user)
    except (PermissionError, ValidationError) as exc:
        return _refuse_error(request, exc, back=back)
    if request.htmx:
        context = {
            "design": access.design,
            "access": access,
            "review": {"rounds": selectors.review_rounds(design=access.design)},
            "started": round_,
        }
        return render(request, f"{ROUNDS}#rounds-panel", context)
    messages.success(request, f"Round {round_.number} started: the reviewers were asked again.")
    return redirect(back)


@login_required
@require_GET
def review_changes(request: HtmxHttpRequest, design_id: int) -> HttpResponse:
    """What changed since the viewer's last review, a diff per changed section."""
    access = design_selectors.design_get_for(request.user, design_id)
    sections = list(design_selectors.design_sections(design=access.design))
    changes = selectors.changes_since_last_review(
        design=access.design, sections=sections, viewer=request.user
    )
    context = {"design": access.design, "access": access, "changes": changes}
    return render(request, "reviews/changes.html", context)
