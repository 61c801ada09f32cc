"""Activity: what happened to a design or in a team, newest first."""

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema
from ninja.pagination import paginate

from accounts import selectors as account_selectors
from activity import selectors
from activity.models import Event, EventKind
from api.v1.errors import ErrorOut
from api.v1.pagination import Page
from api.v1.schemas import MAX_ID, UserRef
from api.v1.serializers import user_ref
from designs import selectors as design_selectors

router = Router(tags=["activity"])


class EventDesignRef(Schema):
    id: int
    title: str


class EventOut(Schema):
    id: int
    kind: str
    created_at: datetime
    actor: UserRef | None
    team_id: int
    design: EventDesignRef | None
    section_key: str | None
    summary: str
    data: dict[str, Any]


class EventFilters(Schema):
    kind: EventKind | None = Field(None, description="Only events of this kind.")
    actor: str | None = Field(None, max_length=150, description="Only events by this username.")


def event_data(event: Event) -> dict[str, Any]:
    return {
        "id": event.pk,
        "kind": event.kind,
        "created_at": event.created_at,
        "actor": user_ref(event.actor) if event.actor else None,
        "team_id": event.team_id,
        "design": {"id": event.design_id, "title": event.design.title} if event.design else None,
        "section_key": (event.data or {}).get("section_key"),
        "summary": event.summary,
        "data": event.data,
    }


def _filters(filters: EventFilters) -> selectors.EventFilters:
    return selectors.EventFilters(kind=filters.kind or "", actor=(filters.actor or "").strip())


@router.get(
    "/designs/{design_id}/activity",
    response={200: list[EventOut], 404: ErrorOut},
    summary="A design's activity",
)
@paginate(Page, serialize=event_data)
def design_activity(
    request: HttpRequest,
    design_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    filters: Query[EventFilters],
):
    """Every change to the design, newest first: for its team and the people asked to
    review it (404 for anyone else). Filter by `kind` and `actor` (a username)."""
    access = design_selectors.design_get_for(request.auth, design_id)  # type: ignore[attr-defined]
    return selectors.design_events(design=access.design, filters=_filters(filters))


@router.get(
    "/teams/{team_id}/activity",
    response={200: list[EventOut], 404: ErrorOut},
    summary="A team's activity",
)
@paginate(Page, serialize=event_data)
def team_activity(
    request: HttpRequest,
    team_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    filters: Query[EventFilters],
):
    """Every change in the team and its designs, newest first: members only (404 for
    anyone else). Filter by `kind` and `actor` (a username)."""
    team = account_selectors.team_get_for(request.auth, team_id)  # type: ignore[attr-defined]
    return selectors.team_events(team=team, filters=_filters(filters))
