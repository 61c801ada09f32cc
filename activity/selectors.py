"""Reads for activity that depend on who asks."""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts import selectors as account_selectors
from accounts.models import Team, User
from activity.models import Delivery, Event, EventKind, Webhook
from designs.models import Design

PAGE_SIZE = 50
DELIVERIES_SHOWN = 50


@dataclass(frozen=True)
class EventFilters:
    kind: str = ""
    actor: str = ""  # a username
    before: tuple[datetime, int] | None = None  # the last event of the previous page


def event_filters_parse(params) -> EventFilters:
    """The filters of an activity list from query parameters ``kind``, ``actor`` and
    ``before`` (a cursor from the previous page). ValidationError for a kind that does not
    exist or a cursor that is not one of ours."""
    kind = (params.get("kind") or "").strip()
    if kind and kind not in EventKind.values:
        raise ValidationError({"kind": f"There is no kind of event called “{kind[:50]}”."})
    actor = (params.get("actor") or "").strip()[:150]
    cursor = (params.get("before") or "").strip()
    before = None
    if cursor:
        micros, _, pk = cursor.partition("-")
        if not (micros.isdigit() and pk.isdigit() and len(micros) < 20 and len(pk) < 20):
            raise ValidationError({"before": "That page of activity does not exist."})
        try:
            when = datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValidationError({"before": "That page of activity does not exist."}) from exc
        before = (when, int(pk))
    return EventFilters(kind=kind, actor=actor, before=before)


def cursor_of(event: Event) -> str:
    # Whole seconds and the microseconds apart: exact, where a float would round.
    micros = int(event.created_at.timestamp()) * 1_000_000 + event.created_at.microsecond
    return f"{micros}-{event.pk}"


def _filtered(events: QuerySet[Event], filters: EventFilters) -> QuerySet[Event]:
    if filters.kind:
        events = events.filter(kind=filters.kind)
    actor = filters.actor.replace("\x00", "")  # PostgreSQL refuses NUL in text
    if actor:
        events = events.filter(actor__username__iexact=actor)
    if filters.before is not None:
        when, pk = filters.before
        events = events.filter(Q(created_at__lt=when) | Q(created_at=when, id__lt=pk))
    return events.select_related("actor", "design").order_by("-created_at", "-id")


def design_events(*, design: Design, filters: EventFilters | None = None) -> QuerySet[Event]:
    """A design's events, newest first (the caller may read the design)."""
    return _filtered(Event.objects.filter(design=design), filters or EventFilters())


def team_events(*, team: Team, filters: EventFilters | None = None) -> QuerySet[Event]:
    """A team's events, its designs' and its own, newest first (the caller is a member)."""
    return _filtered(Event.objects.filter(team=team), filters or EventFilters())


@dataclass(frozen=True)
class EventPage:
    events: list[Event]
    next_cursor: str | None


def event_page(events: QuerySet[Event], *, size: int = PAGE_SIZE) -> EventPage:
    """One page of ``events`` (one query) and the cursor of the next, if there is one."""
    rows = list(events[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return EventPage(events=rows, next_cursor=cursor_of(rows[-1]) if more and rows else None)


def people_of_team(*, team: Team, design: Design | None = None) -> QuerySet[User]:
    """Whom an activity list can be filtered by: the team's members and, for a design, the
    people asked to review it. One query."""
    who = Q(memberships__team=team)
    if design is not None:
        who |= Q(design_grants__design=design)
    return User.objects.filter(who).distinct().order_by("username")


def webhook_team_get_for(user: User, team_id: int) -> Team:
    """The team if ``user`` owns it: Http404 to people outside it, PermissionError to its
    plain members."""
    return account_selectors.team_get_for(user, team_id, for_manage=True)


def webhook_list(*, team: Team) -> QuerySet[Webhook]:
    return Webhook.objects.filter(team=team).order_by("created_at", "id")


def webhook_get(*, team: Team, webhook_id: int) -> Webhook:
    """A webhook of ``team`` (the caller owns it), else 404."""
    webhook = Webhook.objects.select_related("team").filter(team=team, pk=webhook_id).first()
    if webhook is None:
        raise Http404("No such webhook.")
    return webhook


def delivery_list(*, webhook: Webhook, limit: int = DELIVERIES_SHOWN) -> list[Delivery]:
    """The webhook's newest deliveries with their events: one query."""
    return list(
        Delivery.objects.filter(webhook=webhook)
        .select_related("event")
        .order_by("-created_at", "-id")[:limit]
    )


def delivery_get(*, webhook: Webhook, delivery_id: int) -> Delivery:
    delivery = (
        Delivery.objects.select_related("webhook__team").filter(webhook=webhook, pk=delivery_id)
    ).first()
    if delivery is None:
        raise Http404("No such delivery.")
    return delivery
