"""Live updates: what changed on a design reaches every open page, rendered for each reader.

A write (a save, a comment, a verdict, an export's progress...) publishes, once its
transaction commits, a small event to the design's group: which parts of the page changed
(``Changes``: section keys, thread keys, the review panel, the exports), never HTML. Each
live socket on the design then renders those parts for its own user with the same
template partials that render the page and answer htmx requests (one fragment, three
uses), after checking again that the user may read the design. So nobody receives what
they may not see, and what a member sees differently from a reader (edit buttons, the
verdict form, their own comments' actions) stays theirs. The section cards and threads
come from the same caches as the page, so rendering for many readers costs little.

The inbox count goes the same way to the person's own group (``user.<id>``).

Delivery is at most once: a page that lost its socket asks, when it reconnects, for every
part again (``Changes.everything``).
"""

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django_htmx.middleware import HtmxDetails

from designs import page
from designs.selectors import DesignAccess, design_get_for, design_sections
from exports.selectors import export_list
from realtime.presence import Presence, design_group

logger = logging.getLogger(__name__)

PAGE = "designs/design_detail.html"
PANELS = "reviews/design_panels.html"
PRESENCE = "realtime/presence.html"


@dataclass
class Changes:
    """The parts of a design page that changed (and must be rendered again)."""

    sections: set[str] = field(default_factory=set)  # cards, with their state and coverage
    threads: set[str] = field(default_factory=set)  # threads under those sections
    review: bool = False  # the review panel and the design's status
    exports: bool = False  # the list of exports and their progress

    def __bool__(self) -> bool:
        return bool(self.sections or self.threads or self.review or self.exports)

    def merge(self, other: "Changes") -> None:
        self.sections |= other.sections
        self.threads |= other.threads
        self.threads -= self.sections  # a card carries its threads
        self.review = self.review or other.review
        self.exports = self.exports or other.exports

    def as_message(self) -> dict[str, Any]:
        return {
            "type": "live.changed",
            "sections": sorted(self.sections),
            "threads": sorted(self.threads),
            "review": self.review,
            "exports": self.exports,
        }

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> "Changes":
        def keys(name: str) -> set[str]:
            return {str(k) for k in message.get(name) or ()}

        return cls(
            sections=keys("sections"),
            threads=keys("threads") - keys("sections"),
            review=bool(message.get("review")),
            exports=bool(message.get("exports")),
        )

    @classmethod
    def everything(cls) -> "Changes":
        """Every part that changes; the section keys are filled in when rendering."""
        return cls(sections={"*"}, review=True, exports=True)


# Publishing (sync, from receivers) ----------------------------------------------------------


def design_changed(*, design_id: int, changes: Changes) -> None:
    """Tell the design's open pages what changed, once the current transaction commits
    (at once outside one). Never raises: a lost event is caught up on reconnect."""
    if changes:
        transaction.on_commit(lambda: _send(design_group(design_id), changes.as_message()))


def inbox_changed(*, user_ids: Iterable[int]) -> None:
    """Tell these people's open pages that their unread count changed, after commit."""
    from realtime.consumers.base import user_group

    groups = [user_group(user_id) for user_id in sorted({int(i) for i in user_ids if i})]
    if groups:
        transaction.on_commit(lambda: _send_each(groups, {"type": "live.inbox"}))


def _send_each(groups: list[str], message: dict[str, Any]) -> None:
    for group in groups:
        _send(group, message)


def _send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass  # the usual case: a sync view, task or command
    else:  # only where sync code runs inside an event loop's thread (a test driving a browser)
        logger.debug("live update to %s not sent from inside an event loop", group)
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.warning("live update to %s not sent", group, exc_info=True)


# Rendering (sync, per socket) ---------------------------------------------------------------


def request_for(scope: dict[str, Any], user: Any) -> HttpRequest:
    """A request standing for the socket's user, to render fragments as an htmx request
    of theirs would be: their session and CSRF cookie (forms carry a token for it)."""
    request = HttpRequest()
    request.method = "GET"
    request.user = user
    request.session = scope.get("session")  # type: ignore[assignment]
    request.COOKIES = dict(scope.get("cookies") or {})
    request.META["HTTP_HX_REQUEST"] = "true"
    server = scope.get("server") or ("localhost", 80)
    request.META["SERVER_NAME"], request.META["SERVER_PORT"] = server[0], str(server[1])
    secret = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    if secret and len(secret) == 32:  # the form token is masked from the cookie's secret
        request.META["CSRF_COOKIE"] = secret
    request.htmx = HtmxDetails(request)  # type: ignore[attr-defined]
    return request


def render_changes(*, request: HttpRequest, design_id: int, changes: Changes) -> str:
    """The changed parts of the design page as ``request.user`` sees them, as out-of-band
    fragments. Raises Http404 when they may no longer read the design."""
    access = design_get_for(request.user, design_id)  # type: ignore[arg-type]
    sections = list(design_sections(design=access.design))
    if "*" in changes.sections:
        changes.sections = {s.key for s in sections}
    html: list[str] = []
    changed = [s for s in sections if s.key in changes.sections]
    if changed:
        html += _cards(request, access, changed)
    threads = [s for s in sections if s.key in changes.threads]
    if threads or changes.review:
        from reviews.selectors import design_review

        review = design_review(design=access.design, sections=sections, viewer=request.user)  # type: ignore[arg-type]
        context = {"design": access.design, "access": access, "review": review}
        if threads:
            html += _threads(request, access, threads, context)
        if changes.review:
            html.append(_review(request, context))
    if changes.exports:
        context = {"design": access.design, "exports": export_list(design=access.design)}
        html.append(render_to_string("exports/design_exports.html#export-list", context, request))
    return "".join(html)


def _cards(request: HttpRequest, access: DesignAccess, sections: list[Any]) -> list[str]:
    """Each card as a save answers it: the card, its contents entry, coverage, last edit."""
    context: dict[str, Any] = {"design": access.design, "access": access}
    context.update(
        page.page_context(
            page.PageRequest(page="design", request=request, access=access, sections=sections)
        )
    )
    return [
        render_to_string(f"{PAGE}#section-saved", {**context, "section": s}, request)
        for s in sections
    ]


def _threads(
    request: HttpRequest, access: DesignAccess, changed: list[Any], context: dict[str, Any]
) -> list[str]:
    """Each section's threads as a comment action answers them (with the counts, the open
    issues and the status, out of band)."""
    from reviews import fragments

    fragments.threads_html_attach(
        request=request, design=access.design, sections=changed, is_member=access.is_member
    )
    return [
        render_to_string(
            f"{PANELS}#threads-response", {**context, "oob": True, "section": s}, request
        )
        for s in changed
    ]


def _review(request: HttpRequest, context: dict[str, Any]) -> str:
    """The review panel (reviewers, verdicts, the viewer's verdict form) and the status."""
    panel = render_to_string(f"{PANELS}#review-header", context, request)
    meta = render_to_string(f"{PAGE}#design-meta", {**context, "oob": True}, request)
    return panel + meta


def render_inbox(*, request: HttpRequest) -> str:
    """The inbox link of the top bar with the person's unread count."""
    from reviews.selectors import notification_unread_count

    count = notification_unread_count(user=request.user)  # type: ignore[arg-type]
    return render_to_string(
        "reviews/nav_inbox.html#nav-inbox", {"unread_notifications": count}, request
    )


def render_presence(*, presence: Presence, keys: Iterable[str]) -> str:
    """Who else has the page open, and who edits each section among ``keys`` (those shown
    before too, so that a person who left is taken off). Needs no query."""
    keys = sorted(set(keys) | presence.keys())
    context = {"presence": presence, "editing": [(k, presence.editing.get(k, ())) for k in keys]}
    return render_to_string(f"{PRESENCE}#presence-update", context)
