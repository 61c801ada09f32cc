"""Search: the same selector as the search page (search.selectors.search)."""

from datetime import date

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from api.v1 import errors
from api.v1.errors import ValidationErrorOut
from api.v1.schemas import MAX_ID, Line, StatusName, TeamRef, Text
from search import selectors
from search.forms import day_after, day_start

router = Router(tags=["search"])


class SearchFilters(Schema):
    q: Text = Field(
        min_length=1,
        max_length=selectors.QUERY_MAX_CHARS,
        description='Words; "a phrase" in quotes, -word to leave out, or.',
    )
    team: int | None = Field(None, ge=1, le=MAX_ID, description="A team's id.")
    status: StatusName | None = None
    author: Line | None = Field(
        None, max_length=150, description="Username of the designs' author."
    )
    since: date | None = Field(None, description="Designs last edited on or after this day.")
    until: date | None = Field(None, description="Designs last edited on or before this day.")
    page: int = Field(1, ge=1, le=10_000)


class SearchDesignOut(Schema):
    id: int
    title: str
    status: StatusName
    team: TeamRef
    url: str


class SearchHitOut(Schema):
    kind: str = Field(description='"design" (title or summary), "section" or "comment".')
    url: str = Field(description="The design page at the section or comment.")
    section: str | None = Field(description="The section's key (sections and comments).")
    comment_id: int | None
    author: Line | None = Field(description="A comment's author.")
    snippet: str = Field(
        description="HTML: the text around the match, escaped, matched words in <mark>."
    )
    rank: float


class SearchResultOut(Schema):
    design: SearchDesignOut
    title: str = Field(description="HTML: the title escaped, matched words in <mark>.")
    score: float
    match_count: int
    hits: list[SearchHitOut] = Field(description="The best three matches.")


class SearchOut(Schema):
    query: str
    count: int = Field(description="Designs matched among those you may read.")
    capped: bool = Field(
        description="More designs match than are ranked: `count` is the window (the most "
        "recently edited matches), and `note` says so."
    )
    page: int
    pages: int
    note: str = Field(description="Why nothing was searched (only common words), or empty.")
    results: list[SearchResultOut]


@router.get(
    "/search",
    response={200: SearchOut, 422: ValidationErrorOut},
    summary="Search designs, sections and comments",
)
def search(request: HttpRequest, filters: Query[SearchFilters]):
    """Designs you may read whose title, summary, sections or comments match `q`, best
    first, 20 to a page, each with its best matches. Filters narrow the designs."""
    user = request.auth  # type: ignore[attr-defined]
    if filters.since and filters.until and filters.since > filters.until:
        raise errors.validation_error("until", "The end date comes before the start date.")
    found = selectors.search(
        fetched_by=user,
        query=filters.q,
        team_id=filters.team,
        status=filters.status,
        author_id=selectors.author_id_for(filters.author) if filters.author else None,
        since=day_start(filters.since),
        until=day_after(filters.until),
        page=filters.page,
    )
    return {
        "query": found.query,
        "count": found.total,
        "capped": found.capped,
        "page": found.page,
        "pages": found.num_pages,
        "note": found.note,
        "results": [
            {
                "design": {
                    "id": r.design.pk,
                    "title": r.design.title,
                    "status": r.design.status,
                    "team": {"id": r.design.team.pk, "name": r.design.team.name},
                    "url": r.design.get_absolute_url(),
                },
                "title": str(r.title),
                "score": r.score,
                "match_count": r.hit_count,
                "hits": [
                    {
                        "kind": h.kind,
                        "url": h.url,
                        "section": h.section_key or None,
                        "comment_id": h.comment_id,
                        "author": h.author or None,
                        "snippet": str(h.snippet),
                        "rank": h.rank,
                    }
                    for h in r.hits
                ],
            }
            for r in found.results
        ],
    }
