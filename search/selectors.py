"""Search over what the viewer may read: design titles and summaries, section titles and
bodies, and comments, ranked, grouped by design, with the matched words marked in snippets.

The designs searched are exactly the dashboard's (``designs.selectors.design_list``): the
viewer's teams' designs and those they were asked to review. Every match and every count is
taken inside that set, so a design the viewer may not read is never matched nor counted.

PostgreSQL: full-text search with ``websearch_to_tsquery`` (quotes for phrases, ``-word``
to leave out, ``or``). Designs are matched and ranked on their search row, one per design
(its whole text in one vector, search/migrations/0002_design_document.py, kept by
search/receivers.py): the WINDOW most recently edited matches at most, ranked with
``ts_rank`` and the weights title A > summary B > section C > comment D. Only for the page
shown are the places that match read, from the ``search_vector`` columns the database keeps
on every section, comment and design (0001), with ``ts_headline``. SQLite (the embedded default):
a case-insensitive substring match of every word (quotes keep a phrase, ``-word`` leaves
out), ranked by where it matched in the same order.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User
from designs.models import Design, Section
from designs.selectors import design_list
from reviews.models import Comment

QUERY_MAX_CHARS = 200
PER_PAGE = 20
HITS_PER_DESIGN = 3
# ts_headline marks matches with these; they are taken out of the text first, so they can
# only come from ts_headline, and become <mark> after the text is escaped.
START, STOP = "\ue000", "\ue001"
SENTINELS = START + STOP
SNIPPET_OPTIONS = (
    f'StartSel="{START}", StopSel="{STOP}", MaxWords=30, MinWords=12, ShortWord=3, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)
TITLE_OPTIONS = f'StartSel="{START}", StopSel="{STOP}", HighlightAll=true'
# Where a match counts most (the SQLite fallback's ranks follow ts_rank's default weights).
RANKS = {"title": 1.0, "summary": 0.4, "section": 0.2, "comment": 0.1}


@dataclass(frozen=True)
class Hit:
    """One matching piece of a design: its summary, a section or a comment."""

    kind: str  # "design" (title or summary), "section" or "comment"
    url: str  # the design page at the exact section or comment
    snippet: SafeString  # escaped text with <mark>ed words
    rank: float
    section_key: str = ""
    section_title: SafeString = field(default_factory=SafeString)
    comment_id: int | None = None
    author: str = ""  # a comment's author


@dataclass
class DesignResult:
    design: Design
    title: SafeString  # escaped, matched words marked
    score: float
    hit_count: int  # how many pieces of the design matched
    hits: list[Hit] = field(default_factory=list)  # the best HITS_PER_DESIGN of them


@dataclass
class SearchResults:
    query: str
    total: int  # designs matched, among those the viewer may read
    page: int
    per_page: int
    results: list[DesignResult]
    note: str = ""  # why nothing could be searched, or that the matches were capped
    # More than WINDOW designs matched: ``total`` is WINDOW and only the WINDOW most
    # recently edited of them were ranked (PostgreSQL).
    capped: bool = False

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def start_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.results else 0


def marked(text: str) -> SafeString:
    """``text`` from ts_headline (or the fallback) escaped, its sentinels made <mark>."""
    html = escape(text).replace(START, "<mark>").replace(STOP, "</mark>")
    return mark_safe(html)  # noqa: S308 (escaped above; only our own tags added)


def author_id_for(username: str) -> int:
    """The id of the account called ``username``; 0 (nobody's) when there is none, so a
    filter on an unknown author finds nothing."""
    found = User.objects.filter(username=username).values_list("pk", flat=True).first()
    return found or 0


def search(
    *,
    fetched_by: User,
    query: str,
    team_id: int | None = None,
    status: str | None = None,
    author_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> SearchResults:
    """Designs matching ``query`` that ``fetched_by`` may read, best first, ``per_page`` to
    a page, each with its best hits. Filters narrow the designs: their team, status, author
    (who created it) and last edit (``since`` inclusive, ``until`` exclusive). A page past
    the end is empty but keeps the total. A constant number of queries, whatever is shown.
    """
    query = " ".join(query.split())[:QUERY_MAX_CHARS]
    page = max(1, page)
    empty = SearchResults(query=query, total=0, page=page, per_page=per_page, results=[])
    if not query or not fetched_by.is_authenticated:
        return empty
    visible = design_list(fetched_by=fetched_by, team_id=team_id, status=status).order_by()
    if author_id is not None:
        visible = visible.filter(created_by_id=author_id)
    if since:
        visible = visible.filter(last_edited_at__gte=since)
    if until:
        visible = visible.filter(last_edited_at__lt=until)
    if full_text():
        return _search_postgresql(visible, empty)
    return _search_simple(visible, empty)


# PostgreSQL -------------------------------------------------------------------------------


def full_text() -> bool:
    """Whether the database has the search columns (PostgreSQL's full-text search)."""
    return connection.vendor == "postgresql"


_DOC = "search_designdocument"  # search/migrations/0002_design_document.py
_D, _S, _C, _U = (
    Design._meta.db_table,
    Section._meta.db_table,
    Comment._meta.db_table,
    User._meta.db_table,
)

# Only table names (from the models) are put into these strings; every value a user gives
# is a query parameter.
_HITS = f"""
    SELECT 'design' AS kind, d.id AS design_id, d.id AS obj_id,
           ts_rank(d.search_vector, %s::tsquery) AS rank
      FROM {_D} d JOIN {{source}} v ON v.id = d.id
     WHERE d.search_vector @@ %s::tsquery
    UNION ALL
    SELECT 'section', s.design_id, s.id, ts_rank(s.search_vector, %s::tsquery)
      FROM {_S} s JOIN {{source}} v ON v.id = s.design_id
     WHERE s.search_vector @@ %s::tsquery
    UNION ALL
    SELECT 'comment', c.design_id, c.id, ts_rank(c.search_vector, %s::tsquery)
      FROM {_C} c JOIN {{source}} v ON v.id = c.design_id
     WHERE c.search_vector @@ %s::tsquery AND c.deleted_at IS NULL
"""  # noqa: S608
# The query goes in as a constant (not a CTE's column), so that PostgreSQL estimates how
# many rows each word matches and picks the index (the GIN one for a rare word, the design's
# sections for a viewer who sees few designs).
_HITS_PARAMS = 6

_QUERY = "query AS (SELECT %s::tsquery AS q)"

# The designs matched: those the viewer may read whose search row (one per design, its
# whole text, search/migrations/0002_design_document.py) matches, the most recently edited
# first, at most WINDOW + 1 of them. PostgreSQL picks the path: for a rare word the GIN
# index on the rows, for a common one the designs in recency order until the window fills.
# Only the window is ranked (ts_rank on one row per design: a title's weight A puts it
# above any number of matches in sections C or comments D).
# Sequential scans are off in the search's transaction: the planner does not count reading
# a row's vector (~12 kB, compressed, out of line), and for a common word among the few
# designs a filter leaves it would read all the rows rather than those few (a month of
# edits at 100,000 designs: 730 ms instead of 25).
WINDOW = 500

_FOUND = f"""
SELECT v.id, v.last_edited_at
  FROM ({{visible}} OFFSET 0) v(id, last_edited_at)
 WHERE EXISTS (SELECT 1 FROM {_DOC} doc WHERE doc.design_id = v.id AND doc.vector @@ %s::tsquery)
 ORDER BY v.last_edited_at DESC, v.id DESC
 LIMIT %s
"""  # noqa: S608

_PAGE = f"""
WITH found(id, last_edited_at) AS ({{found}}),
ranked AS (
    SELECT f.id, f.n, f.last_edited_at, ts_rank(doc.vector, %s::tsquery) AS score,
           count(*) OVER () AS found
      FROM (SELECT found.*, row_number() OVER (
                ORDER BY last_edited_at DESC, id DESC) AS n FROM found) f
      JOIN {_DOC} doc ON doc.design_id = f.id
)
SELECT id, score, found
  FROM ranked
 WHERE n <= %s
 ORDER BY score DESC, last_edited_at DESC, id DESC
 LIMIT %s OFFSET %s
"""  # noqa: S608

_COUNT = "SELECT count(*) FROM ({found}) found"

_PAGE_HITS = f"""
WITH shown AS (SELECT unnest(%s::bigint[]) AS id), {_QUERY},
hits AS ({_HITS.format(source="shown")}),
top AS (
    SELECT hits.*, row_number() OVER (
        PARTITION BY design_id ORDER BY rank DESC, kind, obj_id) AS n,
           count(*) OVER (PARTITION BY design_id) AS hit_count
      FROM hits
)
SELECT t.kind, t.design_id, t.obj_id, t.rank, s.key, u.username, t.hit_count,
       ts_headline('english', translate(
           CASE t.kind WHEN 'design' THEN dd.summary WHEN 'section' THEN s.body
                ELSE c.body END, %s, ''), query.q, %s),
       ts_headline('english', translate(coalesce(s.title, ''), %s, ''), query.q, %s)
  FROM top t CROSS JOIN query
  LEFT JOIN {_D} dd ON t.kind = 'design' AND dd.id = t.obj_id
  LEFT JOIN {_C} c ON t.kind = 'comment' AND c.id = t.obj_id
  LEFT JOIN {_S} s ON s.id = CASE WHEN t.kind = 'section' THEN t.obj_id ELSE c.section_id END
  LEFT JOIN {_U} u ON u.id = c.author_id
 WHERE t.n <= %s
 ORDER BY t.design_id, t.rank DESC, t.kind, t.obj_id
"""  # noqa: S608


CAPPED = (
    "More than {window} designs match “{query}”: the best of the {window} most recently "
    "edited are shown. Add words or a filter to narrow the search."
)
TOO_LONG = (
    "This search matched too much to rank in time: add a word, a phrase in quotes or a filter."
)


def _search_postgresql(visible: QuerySet[Design], empty: SearchResults) -> SearchResults:
    """Within CRIT_SEARCH_TIMEOUT_MS: a search of words found nearly everywhere, among tens
    of thousands of designs, stops with a note rather than holding a database connection."""
    try:
        with transaction.atomic():
            timeout = int(settings.CRIT_SEARCH_TIMEOUT_MS)
            if timeout > 0:
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL statement_timeout = {timeout}")
            return _search_postgresql_run(visible, empty)
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != "57014":  # query_canceled
            raise
        empty.total, empty.results, empty.note = 0, [], TOO_LONG
        return empty


def _search_postgresql_run(visible: QuerySet[Design], empty: SearchResults) -> SearchResults:
    query, page, per_page = empty.query, empty.page, empty.per_page
    with connection.cursor() as cursor:
        # A query of stop words only ("the") finds nothing; one of exclusions only ("-x")
        # would read every row: neither is run.
        # And no sequential scans for the rest of the search's transaction (see WINDOW).
        cursor.execute(
            "SELECT numnode(q), querytree(q), q::text, set_config('enable_seqscan', 'off', true) "
            "FROM websearch_to_tsquery('english', %s) AS q",
            [query],
        )
        nodes, tree, tsquery, _ = cursor.fetchone()
        if not nodes:
            empty.note = "Only very common words: add a more specific one."
            return empty
        if tree == "T":
            empty.note = "Only words to leave out: add a word to look for."
            return empty
        visible_sql, visible_params = (
            visible.order_by("-last_edited_at", "-pk").values("pk", "last_edited_at").query
        ).sql_with_params()
        found_sql = _FOUND.format(visible=visible_sql)
        found_params = [*visible_params, tsquery, WINDOW + 1]
        cursor.execute(
            _PAGE.format(found=found_sql),
            [*found_params, tsquery, WINDOW, per_page, (page - 1) * per_page],
        )
        rows = cursor.fetchall()
        if not rows:
            if page > 1:
                cursor.execute(_COUNT.format(found=found_sql), found_params)
                _capped(empty, cursor.fetchone()[0])
            return empty
        ids = [row[0] for row in rows]
        cursor.execute(
            _PAGE_HITS,
            [
                ids,
                tsquery,
                *[tsquery] * _HITS_PARAMS,
                SENTINELS,
                SNIPPET_OPTIONS,
                SENTINELS,
                TITLE_OPTIONS,
                HITS_PER_DESIGN,
            ],
        )
        hit_rows = cursor.fetchall()
    designs = (
        Design.objects.filter(pk__in=ids)
        .select_related("team", "created_by", "last_edited_by")
        .annotate(
            _title=RawSQL(  # noqa: S611 (the words are a parameter)
                f"ts_headline('english', translate({_D}.title, %s, ''), %s::tsquery, %s)",
                [SENTINELS, tsquery, TITLE_OPTIONS],
            )
        )
        .in_bulk()
    )
    hits: dict[int, list[Hit]] = {i: [] for i in ids}
    hit_counts: dict[int, int] = {}
    for kind, design_id, obj_id, rank, key, username, count, snippet, section_title in hit_rows:
        hit_counts[design_id] = count
        hits[design_id].append(
            _hit(designs[design_id], kind, obj_id, rank, key, username, snippet, section_title)
        )
    results = [
        DesignResult(
            design=designs[design_id],
            title=marked(designs[design_id]._title),  # type: ignore[attr-defined]
            score=score,
            hit_count=hit_counts.get(design_id, 0),
            hits=hits[design_id],
        )
        for design_id, score, _found in rows
        if design_id in designs
    ]
    empty.results = results
    _capped(empty, rows[0][2])
    return empty


def _capped(results: SearchResults, found: int) -> None:
    """The total of ``found`` designs (at most WINDOW + 1), said to be capped past WINDOW."""
    results.total = min(found, WINDOW)
    if found > WINDOW:
        results.capped = True
        results.note = CAPPED.format(query=results.query, window=WINDOW)


def _hit(
    design: Design,
    kind: str,
    obj_id: int,
    rank: float,
    key: str | None,
    author: str | None,
    snippet: str,
    section_title: str,
) -> Hit:
    url = design.get_absolute_url()
    if kind == "section":
        url += f"#section-{key}"
    elif kind == "comment":
        url += f"#comment-{obj_id}"
    return Hit(
        kind=kind,
        url=url,
        snippet=marked(snippet or ""),
        rank=float(rank),
        section_key=key or "",
        section_title=marked(section_title or ""),
        comment_id=obj_id if kind == "comment" else None,
        author=author or "",
    )


# SQLite and any other database: a simple match --------------------------------------------

_TERM = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
SNIPPET_CHARS = 160


def terms(query: str) -> tuple[list[str], list[str]]:
    """(words and phrases to find, those to leave out): ``"a phrase"``, ``-word``."""
    find: list[str] = []
    leave: list[str] = []
    for match in _TERM.finditer(query):
        negated = match.group(1) or match.group(3)
        text = match.group(2) if match.group(2) is not None else match.group(4)
        text = " ".join(text.replace('"', " ").split())
        if text and text.lower() != "or":
            (leave if negated else find).append(text)
    return find, leave


def _matches(fields: tuple[str, ...], find: list[str], leave: list[str]) -> Q:
    def anywhere(text: str) -> Q:
        return reduce(or_, (Q(**{f"{name}__icontains": text}) for name in fields))

    condition = Q()
    for text in find:
        condition &= anywhere(text)
    for text in leave:
        condition &= ~anywhere(text)
    return condition


def snippet(text: str, find: list[str], *, chars: int = SNIPPET_CHARS) -> SafeString:
    """Up to ``chars`` of ``text`` around the first word found, the words marked."""
    lowered = text.lower()
    starts = [i for i in (lowered.find(t.lower()) for t in find) if i >= 0]
    first = min(starts) if starts else 0
    begin = max(0, first - chars // 3)
    piece = text[begin : begin + chars].translate({ord(c): None for c in SENTINELS})
    pattern = "|".join(re.escape(t) for t in sorted(find, key=len, reverse=True))
    if pattern:
        piece = re.sub(pattern, lambda m: START + m.group(0) + STOP, piece, flags=re.IGNORECASE)
    prefix = "… " if begin else ""
    suffix = " …" if begin + chars < len(text) else ""
    return marked(prefix + piece + suffix)


def _search_simple(visible: QuerySet[Design], empty: SearchResults) -> SearchResults:
    find, leave = terms(empty.query)
    if not find:
        empty.note = "Only words to leave out: add a word to look for."
        return empty
    ids = visible.values("pk")
    found: list[tuple[float, str, int, int]] = []  # (rank, kind, design, object)
    for pk, title in visible.filter(_matches(("title", "summary"), find, leave)).values_list(
        "pk", "title"
    ):
        in_title = any(t.lower() in title.lower() for t in find)
        found.append((RANKS["title" if in_title else "summary"], "design", pk, pk))
    sections = Section.objects.filter(design__in=ids).filter(
        _matches(("title", "body"), find, leave)
    )
    for design_id, pk in sections.values_list("design_id", "pk"):
        found.append((RANKS["section"], "section", design_id, pk))
    comments = Comment.objects.filter(design__in=ids, deleted_at__isnull=True).filter(
        _matches(("body",), find, leave)
    )
    for design_id, pk in comments.values_list("design_id", "pk"):
        found.append((RANKS["comment"], "comment", design_id, pk))
    by_design: dict[int, list[tuple[float, str, int, int]]] = {}
    for row in found:
        by_design.setdefault(row[2], []).append(row)
    order = sorted(by_design, key=lambda d: (max(r[0] for r in by_design[d]), len(by_design[d]), d))
    order.reverse()
    start = (empty.page - 1) * empty.per_page
    shown = order[start : start + empty.per_page]
    empty.total = len(order)
    if not shown:
        return empty
    best = {
        d: sorted(by_design[d], key=lambda r: (-r[0], r[1], r[3]))[:HITS_PER_DESIGN] for d in shown
    }
    wanted = [row for rows in best.values() for row in rows]
    designs = (
        Design.objects.filter(pk__in=shown)
        .select_related("team", "created_by", "last_edited_by")
        .in_bulk()
    )
    section_rows = Section.objects.in_bulk([r[3] for r in wanted if r[1] == "section"])
    comment_rows = (
        Comment.objects.select_related("author", "section")
        .only("body", "design_id", "author__username", "section__key", "section__title")
        .in_bulk([r[3] for r in wanted if r[1] == "comment"])
    )
    results = []
    for design_id in shown:
        design = designs[design_id]
        hits = []
        for rank, kind, _design_id, pk in best[design_id]:
            hits.append(_simple_hit(design, kind, pk, rank, find, section_rows, comment_rows))
        results.append(
            DesignResult(
                design=design,
                title=snippet(design.title, find, chars=len(design.title) + 1),
                score=max(r[0] for r in by_design[design_id]),
                hit_count=len(by_design[design_id]),
                hits=hits,
            )
        )
    empty.results = results
    return empty


def _simple_hit(
    design: Design,
    kind: str,
    pk: int,
    rank: float,
    find: list[str],
    sections: dict[Any, Section],
    comments: dict[Any, Comment],
) -> Hit:
    if kind == "design":
        return Hit(
            kind=kind,
            url=design.get_absolute_url(),
            snippet=snippet(design.summary, find),
            rank=rank,
        )
    if kind == "section":
        section = sections[pk]
        return Hit(
            kind=kind,
            url=f"{design.get_absolute_url()}#section-{section.key}",
            snippet=snippet(section.body, find),
            rank=rank,
            section_key=section.key,
            section_title=snippet(section.title, find, chars=len(section.title) + 1),
        )
    comment = comments[pk]
    return Hit(
        kind=kind,
        url=f"{design.get_absolute_url()}#comment-{pk}",
        snippet=snippet(comment.body, find),
        rank=rank,
        section_key=comment.section.key,
        section_title=snippet(comment.section.title, find, chars=len(comment.section.title) + 1),
        comment_id=pk,
        author=comment.author.username,
    )
