"""The HTML of each section's comment threads and comment box, cached.

Rendering a long review's threads is most of the design page's work, and they are read far
more often than they change. Each section's thread list is cached under a key made of
everything it shows:

- the template's source, so a release that changes it renders anew;
- the section and its version (comments on an older version are "outdated");
- the threads' stamp, which changes with every comment added, edited, deleted, resolved or
  moved between issue states (``reviews.selectors.threads_state_attach``);
- what the viewer may do: team member or reader, and who they are only where they wrote in
  the section (their own comments get Edit and Delete; a raiser may drop their issue).

Two things differ between viewers or with time, and are handled apart:

- each form's CSRF token is rendered as a random placeholder, kept with the HTML, and
  replaced by the viewer's own token when served;
- "5 minutes ago": an entry lives a minute while its youngest comment is under a day old,
  an hour while under a week, a day after that, so such a phrase is at most one of its
  units behind (as on a page left open that long).

The design page caches whole section cards (``designs.page``) and asks here only for the
sections whose card missed; those are looked up in one round trip, and only the panels that
missed too are loaded and rendered: two queries, whatever the number of sections or comments.
"""

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from config import metrics
from designs import page
from designs.models import Design, Section
from reviews import selectors

PANELS_FILE = "reviews/design_panels.html"
THREADS_PANEL = f"{PANELS_FILE}#threads-panel"


def threads_html_attach(
    *,
    request: HttpRequest,
    design: Design,
    sections: list[Section],
    is_member: bool,
    live_context: dict[str, Any] | None = None,
    csrf_token: str | None = None,
) -> dict[int, int]:
    """Attach ``threads_html``, the panel under the section, to each section (after
    ``threads_state_attach``), with ``csrf_token`` (the viewer's own by default) in its
    forms; answer for how many seconds each section's panel stays right.

    With ``live_context`` (a form error to show) the sections are rendered with it and
    nothing is cached.
    """
    viewer = request.user
    token = csrf_token if csrf_token is not None else get_token(request)
    digest = _template_digest()
    keys = {s.pk: _key(s, digest, viewer_id=viewer.pk or 0, is_member=is_member) for s in sections}
    entries: dict[str, tuple[str, str, float]] = {}
    if live_context is None:
        entries = cache.get_many(list(keys.values()))
    missed = [s for s in sections if keys[s.pk] not in entries]
    if live_context is None:
        metrics.cache_lookups("threads", hits=len(sections) - len(missed), misses=len(missed))
    if missed:
        with_comments = [s for s in missed if s.threads_state.stamp]  # type: ignore[attr-defined]
        threads = (
            selectors.load_threads(design=design, sections=with_comments) if with_comments else {}
        )
        now = timezone.now()
        for section in missed:
            selectors.threads_decorate(
                design=design,
                section=section,
                threads=threads.get(section.pk, []),
                viewer=viewer,  # type: ignore[arg-type]
                is_member=is_member,
            )
            # The placeholder stands for the viewer's CSRF token in the stored HTML.
            placeholder = token if live_context is not None else secrets.token_urlsafe(18)
            context = {"design": design, "section": section, "csrf_token": placeholder}
            rendered = str(render_to_string(THREADS_PANEL, {**context, **(live_context or {})}))
            fresh_for = _fresh_for(_times(section), now)
            entry = (placeholder, rendered, now.timestamp() + fresh_for)
            entries[keys[section.pk]] = entry
            if live_context is None:
                cache.set(keys[section.pk], entry, fresh_for)
    now_ts = timezone.now().timestamp()
    fresh: dict[int, int] = {}
    for section in sections:
        placeholder, html, expires_at = entries[keys[section.pk]]
        section.threads_html = mark_safe(html.replace(placeholder, token))  # type: ignore[attr-defined]  # noqa: S308
        fresh[section.pk] = max(int(expires_at - now_ts), 1)
    return fresh


def threads_key_part(section: Section, *, viewer_id: int, is_member: bool) -> str:
    """What the section's threads panel and counts show a viewer, its version aside."""
    state = section.threads_state  # type: ignore[attr-defined]
    who = viewer_id if viewer_id in state.author_ids else 0
    role = "member" if is_member else "reader"
    return f"{state.stamp}:{role}:{who}"


def _key(section: Section, digest: str, *, viewer_id: int, is_member: bool) -> str:
    part = threads_key_part(section, viewer_id=viewer_id, is_member=is_member)
    return f"section-threads:{digest}:{section.pk}:{section.version}:{part}"


def _template_digest() -> str:
    source = get_template(PANELS_FILE).template.source  # type: ignore[attr-defined]
    return hashlib.blake2b(source.encode(), digest_size=6).hexdigest()


def _times(section: Section) -> Iterable[datetime]:
    """Every moment the section's threads show as "… ago"."""
    for thread in section.review_threads:  # type: ignore[attr-defined]
        yield thread.created_at
        for change in thread.changes:
            yield change.created_at
        for reply in thread.thread_replies:
            yield reply.created_at


def _fresh_for(times: Iterable[datetime], now: datetime) -> int:
    return page.fresh_for(times, now)
