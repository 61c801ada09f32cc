"""Writes for activity: recording events, managing webhooks and sending deliveries."""

import hashlib
import hmac
import json
import logging
import random
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import F, Subquery
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Team, User
from activity import net
from activity.models import Delivery, Event, EventKind, Webhook
from config.mail import header_text
from designs.models import Design

logger = logging.getLogger(__name__)

SUMMARY_MAX_CHARS = 300
WEBHOOKS_PER_TEAM = 20
# A delivery is tried this many times in all: at once, then after about 30 s, 1, 2, 4 and
# 8 minutes (with jitter).
MAX_ATTEMPTS = 6
FAILING_FOR = timedelta(hours=24)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_MAX_CHARS else text[: SUMMARY_MAX_CHARS - 1] + "…"


def event_record(
    *,
    kind: str,
    actor: User | None = None,
    actor_id: int | None = None,
    summary: str,
    team_id: int | None = None,
    design_id: int | None = None,
    section_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Record that ``actor`` did ``kind`` (an EventKind value) in a team, optionally on a
    design and one of its sections. One INSERT, in the caller's transaction: the event
    exists exactly when the change does. With only ``design_id``, the team is read from
    the design inside the same INSERT. Webhooks of the team hear of it after the commit.
    ``actor_id`` may stand in for ``actor``. Raises ValueError for an unknown kind or
    neither a team nor a design."""
    if kind not in EventKind.values:
        raise ValueError(f"Unknown event kind {kind!r}.")
    team: Any = team_id
    if team is None:
        if design_id is None:
            raise ValueError("An event belongs to a team or a design.")
        team = Subquery(Design.objects.filter(pk=design_id).values("team_id")[:1])
    event = Event.objects.create(
        kind=kind,
        actor_id=actor.pk if actor is not None else actor_id,
        team_id=team,
        design_id=design_id,
        section_id=section_id,
        summary=_short(summary),
        data=data or {},
    )
    event_id, kind = event.pk, str(event.kind)
    # The team as the INSERT returned it (RETURNING); read again only if it did not.
    known_team = event.team_id if isinstance(event.team_id, int) else None
    # robust: whatever happens to the webhooks' news, the change itself stands.
    transaction.on_commit(
        partial(event_fanout, event_id=event_id, kind=kind, team_id=known_team), robust=True
    )
    return event


# Webhooks.


def _secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _clean_kinds(kinds: list[str]) -> list[str]:
    unknown = [k for k in kinds if k not in EventKind.values]
    if unknown:
        raise ValidationError({"kinds": f"Unknown event kind “{unknown[0]}”."})
    if not kinds:
        raise ValidationError({"kinds": "Choose at least one kind of event."})
    return [k for k in EventKind.values if k in kinds]


def webhook_url_check(url: str) -> str:
    """The URL, stripped, if deliveries may go to it now; ValidationError on ``url``
    otherwise (not http(s), a host that does not resolve, or a private address)."""
    url = url.strip()
    if len(url) > 500:
        raise ValidationError({"url": "Keep the URL under 500 characters."})
    try:
        net.resolve(url)
    except net.AddressRefused as exc:
        raise ValidationError({"url": str(exc)}) from exc
    return url


def _require_owner(*, team: Team, user: User) -> None:
    if not Membership.objects.filter(team=team, user=user, role=Membership.Role.OWNER).exists():
        raise PermissionError("Only a team owner can manage webhooks.")


@transaction.atomic
def webhook_create(*, team: Team, url: str, kinds: list[str], created_by: User) -> Webhook:
    """Register a webhook for ``team`` with a new secret (returned on the row: show it
    once). Owners only (PermissionError); ValidationError for a URL that may not be called,
    unknown or no kinds, or past WEBHOOKS_PER_TEAM."""
    _require_owner(team=team, user=created_by)
    kinds = _clean_kinds(kinds)
    url = webhook_url_check(url)
    if Webhook.objects.filter(team=team).count() >= WEBHOOKS_PER_TEAM:
        raise ValidationError(f"A team can have at most {WEBHOOKS_PER_TEAM} webhooks.")
    return Webhook.objects.create(
        team=team, url=url, kinds=kinds, secret=_secret(), created_by=created_by
    )


@transaction.atomic
def webhook_update(
    *, webhook: Webhook, url: str, kinds: list[str], active: bool, updated_by: User
) -> Webhook:
    """Change a webhook's URL, kinds, or switch it on or off (on again clears its failing
    state). Owners only (PermissionError); ValidationError as for ``webhook_create``."""
    _require_owner(team=webhook.team, user=updated_by)
    kinds = _clean_kinds(kinds)
    if url.strip() != webhook.url:
        url = webhook_url_check(url)
    webhook.url, webhook.kinds = url.strip(), kinds
    if active and not webhook.active:
        webhook.failing_since = None
        webhook.disabled_at = None
    webhook.active = active
    webhook.save()
    return webhook


@transaction.atomic
def webhook_secret_regenerate(*, webhook: Webhook, regenerated_by: User) -> Webhook:
    """Give the webhook a new secret (shown once); deliveries from now on are signed with
    it. Owners only (PermissionError)."""
    _require_owner(team=webhook.team, user=regenerated_by)
    webhook.secret = _secret()
    webhook.save(update_fields=["secret", "updated_at"])
    return webhook


@transaction.atomic
def webhook_delete(*, webhook: Webhook, deleted_by: User) -> None:
    """Remove a webhook and its delivery log. Owners only (PermissionError)."""
    _require_owner(team=webhook.team, user=deleted_by)
    webhook.delete()


# Deliveries.


def event_payload(event: Event) -> dict[str, Any]:
    """What a webhook receives about an event (docs/api.md, "Webhooks")."""
    site = settings.SITE_URL.rstrip("/")
    return {
        "id": event.pk,
        "kind": event.kind,
        "created_at": event.created_at.isoformat(),
        "summary": event.summary,
        "actor": (
            {"id": event.actor.pk, "username": event.actor.username} if event.actor else None
        ),
        "team": {"id": event.team_id, "name": event.team.name},
        "design": ({"id": event.design_id, "title": event.design.title} if event.design else None),
        "section_key": (event.data or {}).get("section_key"),
        "data": event.data,
        "url": site + event.url,
    }


def signature(secret: str, body: bytes) -> str:
    """The X-Crit-Signature-256 header's value for ``body``: HMAC-SHA256 with the hook's
    secret, as GitHub signs its webhooks."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _send(delivery_ids: list[int]) -> None:
    """Hand deliveries to the broker. Never raises: one that could not be handed over
    stays pending and the sweep (``deliveries_sweep``) hands it over again."""
    from activity.tasks import delivery_send_task  # tasks import services

    for delivery_id in delivery_ids:
        try:
            delivery_send_task.apply_async(args=[delivery_id], retry=False)
        except Exception:  # the broker's errors vary by transport; none may reach the user
            logger.warning("could not enqueue webhook delivery %s; the sweep will", delivery_id)


def _enqueue(delivery_ids: list[int]) -> None:
    if delivery_ids:
        transaction.on_commit(partial(_send, delivery_ids), robust=True)


@transaction.atomic
def event_fanout(
    *, event_id: int, kind: str | None = None, team_id: int | None = None
) -> list[int]:
    """Make a delivery of the event for each of its team's active webhooks that asked for
    its kind, and queue them after the commit. Runs once the event's transaction has
    committed: one indexed query when the team has no webhooks, and no broker involved.
    Idempotent: a webhook that has a delivery of the event already gets no second one.
    Answers the new deliveries' ids."""
    if kind is None or team_id is None:
        row = Event.objects.filter(pk=event_id).values("kind", "team_id").first()
        if row is None:
            return []
        kind, team_id = row["kind"], row["team_id"]
    hooks = Webhook.objects.filter(team_id=team_id, active=True).exclude(
        deliveries__event_id=event_id
    )
    wanted = [hook for hook in hooks if kind in hook.kinds]
    if not wanted:
        return []
    made = Delivery.objects.bulk_create(
        [Delivery(webhook=hook, event_id=event_id) for hook in wanted]
    )
    ids = [d.pk for d in made]
    _enqueue(ids)
    return ids


SWEEP_AFTER = timedelta(minutes=10)


def deliveries_sweep(*, now=None) -> list[int]:
    """Hand over again the deliveries whose task was lost: pending (never handed to the
    broker, or handed to one that lost it), waiting to retry, or being sent by a worker
    that died, for SWEEP_AFTER past the time they were due. Idempotent: the task claims a
    delivery before sending it. Answers the ids handed over."""
    now = now or timezone.now()
    due = now - SWEEP_AFTER
    # Taken by a worker that died while sending: it may be tried again (receivers tell
    # deliveries apart by X-Crit-Delivery).
    dead = Delivery.objects.filter(status=Delivery.Status.SENDING, updated_at__lte=due)
    revived = list(dead.values_list("pk", flat=True)[:500])
    Delivery.objects.filter(pk__in=revived, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.RETRYING, next_retry_at=now, updated_at=now
    )
    stuck = revived + list(
        Delivery.objects.filter(webhook__active=True)
        .filter(
            models.Q(status=Delivery.Status.PENDING, created_at__lte=due)
            | models.Q(status=Delivery.Status.RETRYING, next_retry_at__lte=due)
        )
        .values_list("pk", flat=True)[:500]
    )
    _send(stuck)
    return stuck


@transaction.atomic
def delivery_resend(*, delivery: Delivery, resent_by: User) -> Delivery:
    """Send a failed delivery's event to its webhook again, as a new delivery (the log
    keeps the failed one). Owners only (PermissionError); ValidationError unless the
    delivery failed or the webhook is off."""
    _require_owner(team=delivery.webhook.team, user=resent_by)
    if delivery.status != Delivery.Status.FAILED:
        raise ValidationError("Only a failed delivery can be sent again.")
    if not delivery.webhook.active:
        raise ValidationError("The webhook is off: switch it on first.")
    again = Delivery.objects.create(webhook=delivery.webhook, event_id=delivery.event_id)
    _enqueue([again.pk])
    return again


@dataclass(frozen=True)
class Attempt:
    """What one attempt came to: ``retry_in`` seconds when the task should try again."""

    status: str
    retry_in: int | None = None


def backoff(attempts: int) -> int:
    """Seconds before the next attempt after ``attempts`` failed ones: 30 s, 1, 2, 4, 8
    minutes..., capped at an hour, with jitter so retries do not bunch up."""
    return min(3600, 30 * 2 ** max(0, attempts - 1)) + random.randint(0, 5)


def _claim(delivery_id: int) -> bool:
    """Take a delivery that waits to be sent, with one conditional UPDATE: a second copy
    of the task (or a second worker) finds it taken and does nothing."""
    return bool(
        Delivery.objects.filter(
            pk=delivery_id, status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING]
        ).update(
            status=Delivery.Status.SENDING,
            attempts=F("attempts") + 1,
            next_retry_at=None,
            updated_at=timezone.now(),
        )
    )


def delivery_attempt(*, delivery_id: int) -> Attempt:
    """Send a delivery once. Idempotent: only a pending or retrying delivery is sent.

    Success is a 2xx answer; anything else (a redirect, which is not followed, an error
    status, a refused address, no connection, a timeout) is a failure: the delivery waits
    for another attempt (``retry_in``) until MAX_ATTEMPTS, then is failed. The webhook's
    ``failing_since`` is set on its first failure and cleared by a success. Not atomic as
    a whole: the network call happens between two short writes."""
    if not _claim(delivery_id):
        return Attempt(status="skipped")
    delivery = Delivery.objects.select_related(
        "webhook", "event__team", "event__design", "event__actor"
    ).get(pk=delivery_id)
    hook = delivery.webhook
    now = timezone.now()
    if not hook.active:
        Delivery.objects.filter(pk=delivery_id).update(
            status=Delivery.Status.FAILED, error="The webhook is off.", updated_at=now
        )
        return Attempt(status=Delivery.Status.FAILED)
    body = json.dumps(event_payload(delivery.event), separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Crit-Webhooks/1",
        "X-Crit-Event": delivery.event.kind,
        "X-Crit-Delivery": str(delivery.pk),
        "X-Crit-Signature-256": signature(hook.secret, body),
    }
    code: int | None = None
    duration: int | None = None
    excerpt = ""
    try:
        target = net.resolve(hook.url)
        answer = net.post(target, body=body, headers=headers)
    except net.AddressRefused as exc:
        error = str(exc)
    except OSError as exc:
        error = f"Could not deliver: {exc.__class__.__name__}: {exc}"[:500]
    else:
        code, duration, excerpt = answer.status, answer.duration_ms, answer.body
        error = "" if 200 <= code < 300 else f"The receiver answered {code}."
        if 300 <= code < 400:
            error = f"The receiver answered {code}: redirects are not followed."
    now = timezone.now()
    result: dict[str, Any] = {
        "response_code": code,
        "duration_ms": duration,
        "response_body": excerpt,
        "error": error,
        "updated_at": now,
    }
    if not error:
        Delivery.objects.filter(pk=delivery_id).update(
            status=Delivery.Status.SUCCEEDED, delivered_at=now, **result
        )
        Webhook.objects.filter(pk=hook.pk, failing_since__isnull=False).update(
            failing_since=None, updated_at=now
        )
        return Attempt(status=Delivery.Status.SUCCEEDED)
    Webhook.objects.filter(pk=hook.pk, failing_since__isnull=True).update(
        failing_since=now, updated_at=now
    )
    attempts = delivery.attempts
    if attempts >= MAX_ATTEMPTS:
        Delivery.objects.filter(pk=delivery_id).update(status=Delivery.Status.FAILED, **result)
        return Attempt(status=Delivery.Status.FAILED)
    wait = backoff(attempts)
    Delivery.objects.filter(pk=delivery_id).update(
        status=Delivery.Status.RETRYING, next_retry_at=now + timedelta(seconds=wait), **result
    )
    return Attempt(status=Delivery.Status.RETRYING, retry_in=wait)


def webhooks_disable_failing(*, now=None) -> list[int]:
    """Switch off every active webhook whose deliveries have failed for FAILING_FOR and
    email the team's owners. Idempotent (each hook is switched off once, with a
    conditional UPDATE). Answers the ids of the hooks switched off."""
    now = now or timezone.now()
    candidates = list(
        Webhook.objects.filter(active=True, failing_since__lte=now - FAILING_FOR).select_related(
            "team"
        )
    )
    disabled = []
    for hook in candidates:
        if not Webhook.objects.filter(pk=hook.pk, active=True).update(
            active=False, disabled_at=now, updated_at=now
        ):
            continue
        disabled.append(hook.pk)
        _tell_owners(hook)
    return disabled


def _tell_owners(hook: Webhook) -> None:
    owners = list(
        User.objects.filter(
            memberships__team_id=hook.team_id,
            memberships__role=Membership.Role.OWNER,
            is_active=True,
        )
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not owners:
        return
    link = settings.SITE_URL.rstrip("/") + reverse("activity:webhook", args=[hook.team_id, hook.pk])
    try:
        send_mail(
            subject=header_text(f"[Crit] A webhook of {hook.team.name} was switched off"),
            message="\n".join(
                [
                    f"The webhook {hook.url} of the team “{hook.team.name}” has failed every "
                    "delivery for a day, so Crit switched it off.",
                    "",
                    "See what its receiver answered, and switch it on again, here:",
                    link,
                ]
            ),
            from_email=None,
            recipient_list=owners,
        )
    except OSError:
        logger.exception(
            "could not email the owners of team %s about webhook %s", hook.team_id, hook.pk
        )
