"""Extension points for the pages designs owns: the design page and the dashboard.

Apps above designs (reviews, exports) show things on these pages. They register a context
loader and panels here from their AppConfig.ready(), so designs never imports them. A
loader runs once per page view and must use a fixed number of queries whatever the number
of sections or designs shown.

Each section card of the design page is cached as HTML under a key made of everything it
shows: the templates' sources, the section and its version (every save, state change and
restore makes a new one), whether the viewer may edit, and each section panel's own part
(a ``SectionPart``). Each form's CSRF token is stored as a placeholder and replaced by the
viewer's own when served. A page looks all its cards up in one round trip and renders only
those that missed.

Both pages are cached whole too, per viewer (``cached_page``), under a key made of the
release (a digest of the templates, static files and code), who views it, what the page
shows of its own row or filters, and a stamp: for each kind of row the page shows
(sections, comments, verdicts, exports, the team's members, the viewer's unread
notifications and team invitations...), how many there are and the newest ``updated_at``.
Every write that changes what a page shows adds or removes such a row or moves its
``updated_at``; apps register their kinds (a ``StampPart``), and the stamp is read in one
query. A page with a flash message is never cached; the views cache neither htmx fragments
nor (on the design page) a page asked for with a query string.
"""

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache as cache_once
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import connection, models
from django.http import HttpRequest
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.safestring import mark_safe

from accounts.models import Invitation, Membership, Team
from config import metrics
from designs.models import Design, DesignReader, DesignValues, Section
from designs.selectors import DesignAccess

PAGES = ("design", "dashboard")
SLOTS = {
    "design": ("header", "sidebar", "section_header", "section"),
    "dashboard": ("top",),
}


@dataclass(frozen=True)
class Panel:
    page: str
    slot: str  # "section*" slots render once per section with ``section`` in the context
    template: str
    order: int = 100


@dataclass(frozen=True)
class PageRequest:
    page: str
    request: HttpRequest
    access: DesignAccess | None = None
    sections: list[Section] = field(default_factory=list)
    csrf_token: str | None = None  # what stands for the viewer's token; theirs if None


Loader = Callable[[PageRequest], dict[str, Any]]


@dataclass(frozen=True)
class SectionPart:
    """How an app's section panels take part in the cached section cards.

    ``key`` answers, after the loaders ran, a string that changes whenever what the app's
    panels show for that section and viewer changes (the section's version aside).
    ``prepare`` attaches what the panels render to the sections whose card is rendered anew,
    writing ``csrf_token`` wherever a CSRF token goes, and answers for how many seconds each
    section's part stays right (its "… ago" phrases); sections left out stay right a day.
    """

    key: Callable[[PageRequest, Section], str]
    prepare: Callable[[PageRequest, list[Section], str], dict[int, int]]


@dataclass(frozen=True)
class StampPart:
    """A kind of row a page shows, for the page's stamp: rows of ``model`` whose ``column``
    matches ``of`` (see ``STAMP_OF``: the page's design, its team, the viewer, or the
    viewer's teams, designs or designs given them to read), narrowed by the constant SQL
    condition ``where``. The stamp takes ``measure`` over them (their count by default) and,
    if ``dated``, their newest ``updated_at``, which also bounds how long the page's "… ago"
    phrases stay right."""

    model: type[models.Model]
    column: str
    of: str
    measure: str = "COUNT(*)"
    where: str = ""
    dated: bool = True


CARD_TEMPLATE = "designs/design_detail.html"
CARD_PARTIAL = f"{CARD_TEMPLATE}#section-card-html"
MINUTE, HOUR, DAY, WEEK = 60, 60 * 60, 24 * 60 * 60, 7 * 24 * 60 * 60

_loaders: dict[str, list[Loader]] = {name: [] for name in PAGES}
_panels: list[Panel] = []
_section_parts: list[SectionPart] = []
_stamp_parts: dict[str, list[StampPart]] = {
    "design": [
        StampPart(model=Section, column="design", of="design", measure="COALESCE(SUM(version), 0)"),
        StampPart(model=DesignReader, column="design", of="design"),
        StampPart(model=Membership, column="team", of="team"),
        # A save elsewhere changes the values a section shows, not its version.
        StampPart(model=DesignValues, column="design", of="design"),
    ],
    "dashboard": [
        # The designs the viewer can see, in two parts that indexes answer at any size: those
        # of their teams, and those given them to read (a design in both counts twice).
        StampPart(model=Design, column="team", of="viewer_teams"),
        StampPart(model=Design, column="id", of="viewer_read_designs"),
        StampPart(model=Team, column="id", of="viewer_design_teams"),
        StampPart(model=Membership, column="user", of="viewer"),
        StampPart(model=DesignReader, column="user", of="viewer"),
        StampPart(model=Invitation, column="invitee", of="viewer"),
    ],
}


def register(
    *,
    page: str,
    loader: Loader | None = None,
    panels: tuple[Panel, ...] = (),
    section_part: SectionPart | None = None,
    stamp_parts: tuple[StampPart, ...] = (),
) -> None:
    if page not in PAGES:
        raise ValueError(f"Unknown page {page!r}")
    if loader is not None and loader not in _loaders[page]:
        _loaders[page].append(loader)
    if section_part is not None and section_part not in _section_parts:
        if page != "design":
            raise ValueError("Only the design page has section cards")
        _section_parts.append(section_part)
    for part in stamp_parts:
        if part.of not in STAMP_OF or (page == "dashboard" and part.of in ("design", "team")):
            raise ValueError(f"No {part.of!r} to stamp on the {page} page")
        if part not in _stamp_parts[page]:
            _stamp_parts[page].append(part)
            _stamp_sql.cache_clear()
    for panel in panels:
        if panel.page != page or panel.slot not in SLOTS[page]:
            raise ValueError(f"Unknown slot {panel.slot!r} on the {page} page")
        if panel not in _panels:
            _panels.append(panel)


def page_context(page_request: PageRequest) -> dict[str, Any]:
    """The panels to include per slot, and whatever the registered loaders add."""
    page = page_request.page
    ordered = sorted((p for p in _panels if p.page == page), key=lambda p: p.order)
    context: dict[str, Any] = {
        "panels": {slot: [p.template for p in ordered if p.slot == slot] for slot in SLOTS[page]}
    }
    for loader in _loaders[page]:
        context.update(loader(page_request))
    if page == "design" and page_request.access is not None:
        section_cards_attach(page_request, context)
    return context


def section_cards_attach(page_request: PageRequest, context: dict[str, Any]) -> None:
    """Attach ``card_html``, the whole section card, to each of the page's sections.

    One cache round trip for all the cards; the cards that missed are prepared by each
    section part, rendered and stored (one more round trip per distinct lifetime).
    """
    access = page_request.access
    assert access is not None
    sections = page_request.sections
    token = page_request.csrf_token or get_token(page_request.request)
    digest = _cards_digest(context["panels"])
    keys = {s.pk: _card_key(page_request, s, digest, can_edit=access.can_edit) for s in sections}
    entries: dict[str, tuple[str, str]] = cache.get_many(list(keys.values()))
    missed = [s for s in sections if keys[s.pk] not in entries]
    metrics.cache_lookups("card", hits=len(sections) - len(missed), misses=len(missed))
    if missed:
        placeholder = secrets.token_urlsafe(18)
        now = timezone.now()
        fresh = {s.pk: fresh_for([s.updated_at] if s.version else [], now) for s in missed}
        for part in _section_parts:
            for pk, seconds in part.prepare(page_request, missed, placeholder).items():
                fresh[pk] = min(fresh[pk], seconds)
        base = {**context, "design": access.design, "access": access, "csrf_token": placeholder}
        by_lifetime: dict[int, dict[str, tuple[str, str]]] = defaultdict(dict)
        for section in missed:
            rendered = str(render_to_string(CARD_PARTIAL, {**base, "section": section}))
            entry = (placeholder, rendered)
            entries[keys[section.pk]] = by_lifetime[fresh[section.pk]][keys[section.pk]] = entry
        for seconds, batch in by_lifetime.items():
            cache.set_many(batch, seconds)
    for section in sections:
        placeholder, html = entries[keys[section.pk]]
        section.card_html = mark_safe(html.replace(placeholder, token))  # type: ignore[attr-defined]  # noqa: S308


def fresh_for(times: Iterable[datetime], now: datetime) -> int:
    """Seconds HTML showing ``times`` as "… ago" may be served unchanged. Django's
    ``timesince`` counts minutes within a day, hours within a week, days after that, so a
    phrase is at most one of its units behind (as on a page left open that long)."""
    youngest = min(((now - moment).total_seconds() for moment in times), default=float(WEEK))
    return MINUTE if youngest < DAY else HOUR if youngest < WEEK else DAY


def _card_key(page_request: PageRequest, section: Section, digest: str, *, can_edit: bool) -> str:
    parts = ":".join(part.key(page_request, section) for part in _section_parts)
    edit = "edit" if can_edit else "read"
    version = f"{section.version}{_estimates_key(section.body_html)}"
    return f"card:{digest}:{section.pk}:{version}:{edit}:{parts}"


def _estimates_key(body_html: str) -> str:
    """For a section that shows estimates, a hash of its HTML: they change with saves of
    other sections, which leave its version as it is."""
    if "calc-" not in body_html:
        return ""
    return "." + hashlib.blake2b(body_html.encode(), digest_size=8).hexdigest()


def _cards_digest(panels: dict[str, list[str]]) -> str:
    """Changes with the source of the card's template or of any section panel's."""
    names = {CARD_TEMPLATE}
    names.update(t.partition("#")[0] for t in panels["section_header"] + panels["section"])
    digest = hashlib.blake2b(digest_size=6)
    for name in sorted(names):
        digest.update(get_template(name).template.source.encode())  # type: ignore[attr-defined]
    return digest.hexdigest()


def cached_page(
    page_request: PageRequest,
    render: Callable[[str | None, str | None], str],
    *,
    shown: tuple[Any, ...] = (),
    moments: Iterable[datetime | None] = (),
) -> bytes:
    """The page's HTML for this viewer, from the cache when nothing it shows changed.

    ``render(csrf_token, csp_nonce)`` renders the page with those two placeholders (or,
    given None, the request's own); the viewer's token and nonce replace them when served.
    ``shown`` is what else the page shows or depends on (the design row, the filters...),
    ``moments`` the times among it that the page shows as "… ago".
    """
    request = page_request.request
    if len(messages.get_messages(request)):  # shown once, so never cached
        return render(None, None).encode()
    stamp, newest = page_stamp(page_request)
    viewer = (request.user.pk, request.user.get_username())
    digest = hashlib.blake2b(repr((viewer, shown, stamp)).encode(), digest_size=16).hexdigest()
    key = f"page:{release_digest()}:{page_request.page}:{request.user.pk}:{digest}"
    entry: tuple[bytes, bytes, bytes] | None = cache.get(key)  # bytes: nothing to decode
    metrics.cache_lookups("page", hits=entry is not None, misses=entry is None)
    if entry is None:
        token, nonce = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
        entry = (token.encode(), nonce.encode(), render(token, nonce).encode())
        times = [t for t in (*newest, *moments) if t is not None]
        cache.set(key, entry, fresh_for(times, timezone.now()))
    token_bytes, nonce_bytes, html = entry
    html = html.replace(token_bytes, get_token(request).encode())
    return html.replace(nonce_bytes, str(get_nonce(request)).encode())


def design_shown(access: DesignAccess) -> tuple[Any, ...]:
    """What the design page shows of the design row and the viewer's access, for its key:
    the design row is read anew by every page view (``design_get_for``)."""
    design = access.design
    return (
        design.pk,
        design.title,
        design.summary,
        design.status,
        design.covered_count,
        design.section_count,
        design.last_edited_at,
        design.last_edited_by_id,
        design.team_id,
        design.team.name,
        access.is_member,
    )


def page_stamp(page_request: PageRequest) -> tuple[tuple[Any, ...], list[datetime | None]]:
    """Each stamp part's measure and newest ``updated_at``, in one query; and those times."""
    access = page_request.access
    values = {"viewer": page_request.request.user.pk}
    if access is not None:
        values.update(design=access.design.pk, team=access.design.team_id)
    with connection.cursor() as cursor:
        cursor.execute(_stamp_sql(page_request.page), values)
        rows = sorted(cursor.fetchall())
    return tuple(rows), [_datetime(row[2]) for row in rows]


def _datetime(value: datetime | str | None) -> datetime | None:
    """A newest ``updated_at`` as the database answered it: SQLite answers text."""
    if not isinstance(value, str):
        return value
    parsed = parse_datetime(value)
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column
    return field.column


def _viewer_sets() -> str:
    """Three named sets for the stamp parts: the viewer's teams, the designs they were given
    to read, and their teams' designs. Together the last two are the designs the viewer can
    see, as ``design_list`` shows; a stamp over the teams' designs reads ``design_team_stamp``
    alone, whatever the number of designs."""
    membership, design, reader = Membership._meta, Design._meta, DesignReader._meta
    team, user = _column(Membership, "team"), _column(Membership, "user")
    design_team = _column(Design, "team")
    reader_design, reader_user = _column(DesignReader, "design"), _column(DesignReader, "user")
    return (
        f"WITH viewer_teams AS (SELECT {team} AS id FROM {membership.db_table} "  # noqa: S608
        f"WHERE {user} = %(viewer)s), "
        f"viewer_read_designs AS (SELECT {reader_design} AS id FROM {reader.db_table} "
        f"WHERE {reader_user} = %(viewer)s), "
        f"viewer_team_designs AS (SELECT {design.pk.column} AS id FROM {design.db_table} "
        f"WHERE {design_team} IN (SELECT id FROM viewer_teams)) "
    )


def _viewer_designs(column: str) -> str:
    """The designs the viewer can see, as two sets: each is hashed once, where one set made
    of both would be a union to sort out first (at 30,000 designs, bench/scale.py)."""
    return (
        f"({column} IN (SELECT id FROM viewer_team_designs) "  # noqa: S608
        f"OR {column} IN (SELECT id FROM viewer_read_designs))"
    )


def _viewer_design_teams(column: str) -> str:
    """The teams of the designs the viewer can see: their own teams (designs or not: a
    team more is only one row more to stamp) and those of the designs given them to read."""
    design = Design._meta
    team, pk = _column(Design, "team"), design.pk.column
    return (
        f"{column} IN (SELECT id FROM viewer_teams UNION SELECT {team} "  # noqa: S608
        f"FROM {design.db_table} WHERE {pk} IN (SELECT id FROM viewer_read_designs))"
    )


# The condition on a stamp part's column. Names all come from the models' options and the
# only values are the query's parameters.
STAMP_OF: dict[str, Callable[[str], str]] = {
    "design": lambda column: f"{column} = %(design)s",
    "team": lambda column: f"{column} = %(team)s",
    "viewer": lambda column: f"{column} = %(viewer)s",
    "viewer_teams": lambda column: f"{column} IN (SELECT id FROM viewer_teams)",  # noqa: S608
    "viewer_read_designs": lambda column: f"{column} IN (SELECT id FROM viewer_read_designs)",  # noqa: S608
    "viewer_designs": _viewer_designs,
    "viewer_design_teams": _viewer_design_teams,
}


@cache_once
def _stamp_sql(page: str) -> str:
    selects = []
    for index, part in enumerate(_stamp_parts[page]):
        meta = part.model._meta
        column = _column(part.model, part.column)
        newest = f"MAX({_column(part.model, 'updated_at')})" if part.dated else "NULL"
        where = f" AND ({part.where})" if part.where else ""
        match = STAMP_OF[part.of](column)
        select = f"SELECT {index}, {part.measure}, {newest} FROM {meta.db_table} WHERE {match}"  # noqa: S608
        selects.append(select + where)
    uses_sets = any(part.of.startswith("viewer_") for part in _stamp_parts[page])
    return (_viewer_sets() if uses_sets else "") + " UNION ALL ".join(selects)


def release_digest() -> str:
    """Changes with any template, static file or module of Crit's own in this release (and
    with CRIT_RELEASE, if set): pages cached by an older release are not served by a newer
    one. Read once per process, and on every call while DEBUG (under the development server
    the code changes without a restart of the cache)."""
    if settings.DEBUG:
        return _release_digest.__wrapped__()
    return _release_digest()


@cache_once
def _release_digest() -> str:
    digest = hashlib.blake2b(settings.CRIT_RELEASE.encode(), digest_size=8)
    engines: list[dict[str, Any]] = settings.TEMPLATES
    folders = [Path(d) for engine in engines for d in engine.get("DIRS", [])]
    folders += [Path(app.path) / "templates" for app in apps.get_app_configs()]
    files = [f for folder in folders if folder.is_dir() for f in sorted(folder.rglob("*.html"))]
    ours = [Path(app.path) for app in apps.get_app_configs()] + [Path(settings.BASE_DIR, "config")]
    ours = [path for path in ours if path.parent == Path(settings.BASE_DIR)]
    files += [f for folder in ours for f in sorted(folder.rglob("*.py"))]
    manifest = Path(settings.STATIC_ROOT, "staticfiles.json")
    if manifest.is_file():
        files.append(manifest)
    for path in files:
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
