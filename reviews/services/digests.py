"""Digest emails: the notifications a person chose to hear of hourly or daily (and those the
hourly email cap held back) in one email per period, grouped by design.

A digest is claimed, then sent:

- ``digests_claim`` (Celery beat, every few minutes) creates one ``Digest`` row per person
  and period that has ended, and attaches to it, in the same transaction, every held
  notification of that period not yet in a digest. The unique (user, period, period_start)
  makes a second claim of the same period find the first one's row instead.
- ``digest_send`` (a task per row, enqueued after the claim commits) sends it. Its status
  guards it: a digest marked sent, or being sent when a worker died, is never sent again; one
  whose send failed goes back to "failed" and the retry sends that same row.
"""

import datetime
from collections.abc import Iterable
from functools import partial
from itertools import groupby

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from config.mail import header_text
from config.ratelimit import window_hit
from designs.selectors import readable_design_ids
from reviews.models import Digest, EmailDelivery, Notification, NotificationSettings

Period = Digest.Period

# An unsent digest whose task was lost (a broker restart) is sent again by the sweep after
# this long; a digest whose every retry failed is tried again at most this many times.
DIGEST_RESEND_AFTER = datetime.timedelta(minutes=10)
DIGEST_MAX_ATTEMPTS = 12


def period_start(period: str, at: datetime.datetime) -> datetime.datetime:
    """The start of the hour or the day (in TIME_ZONE) that ``at`` falls in."""
    local = timezone.localtime(at)
    if period == Period.HOURLY:
        return local.replace(minute=0, second=0, microsecond=0)
    return timezone.make_aware(datetime.datetime.combine(local.date(), datetime.time()))


def previous_period_start(period: str, at: datetime.datetime) -> datetime.datetime:
    """The start of the hour or day before the one ``at`` falls in."""
    start = period_start(period, at)
    if period == Period.HOURLY:
        return start - datetime.timedelta(hours=1)
    day_before = timezone.localtime(start).date() - datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day_before, datetime.time()))


def _held(period: str, before: datetime.datetime):
    return Notification.objects.filter(
        email_status=Notification.EmailStatus.HELD,
        digest_period=period,
        digest__isnull=True,
        created_at__lt=before,
    )


def digests_claim(*, now: datetime.datetime | None = None) -> list[int]:
    """Claim the digests of every period that has ended: for each person with held
    notifications from before the start of the current hour (day), one ``Digest`` for the
    hour (day) before it, with those notifications attached. Each person's claim is its own
    transaction; the sends are enqueued after it commits. Unsent digests whose task was lost
    are enqueued again. Returns the ids of the digests enqueued. Safe to run concurrently
    and repeatedly: a period's digest is claimed once."""
    from reviews.tasks import digest_send  # tasks import services

    now = now or timezone.now()
    enqueued: list[int] = []
    for period in Period.values:
        boundary = period_start(period, now)
        start = previous_period_start(period, now)
        user_ids = sorted(set(_held(period, boundary).values_list("recipient_id", flat=True)))
        for user_id in user_ids:
            digest_id = _claim_one(user_id=user_id, period=period, start=start, before=boundary)
            if digest_id is not None:
                enqueued.append(digest_id)
    lost = Digest.objects.filter(
        status__in=[Digest.Status.PENDING, Digest.Status.FAILED],
        attempts__lt=DIGEST_MAX_ATTEMPTS,
        updated_at__lt=now - DIGEST_RESEND_AFTER,
    ).values_list("pk", flat=True)
    for digest_id in lost:
        if digest_id not in enqueued:
            enqueued.append(digest_id)
            digest_send.delay(digest_id)
    return enqueued


@transaction.atomic
def _claim_one(
    *, user_id: int, period: str, start: datetime.datetime, before: datetime.datetime
) -> int | None:
    """One person's digest for one period, with their held notifications attached; None
    when that period's digest was already sent (what is left waits for the next one)."""
    from reviews.tasks import digest_send

    digest, _ = Digest.objects.get_or_create(user_id=user_id, period=period, period_start=start)
    digest = Digest.objects.select_for_update().get(pk=digest.pk)
    if digest.status in (Digest.Status.SENT, Digest.Status.SENDING):
        return None
    rows = _held(period, before).filter(recipient_id=user_id)
    ids = list(rows.select_for_update(skip_locked=True).values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids).update(digest=digest, updated_at=timezone.now())
    transaction.on_commit(partial(digest_send.delay, digest.pk))
    return digest.pk


def _wanted(
    notifications: Iterable[Notification], *, settings_row: NotificationSettings | None
) -> list[Notification]:
    """The notifications its person still wants emailed, on designs they can still read."""
    notifications = list(notifications)
    if not notifications:
        return []
    user = notifications[0].recipient
    if not (user.email and user.email_verified and user.is_active):
        return []
    if settings_row is not None and not settings_row.email_enabled:
        return []
    readable = readable_design_ids(user=user, design_ids={n.design_id for n in notifications})
    return [
        n
        for n in notifications
        if n.design_id in readable
        and (settings_row is None or settings_row.delivery_for(n.kind) != EmailDelivery.NONE)
    ]


def digest_message(*, digest: Digest, listed: list[Notification]) -> tuple[str, str, str]:
    """(subject, text, html) of a digest listing ``listed``, grouped by design."""
    site = settings.SITE_URL.rstrip("/")
    ordered = sorted(listed, key=lambda n: (n.design.title.lower(), n.design_id, n.created_at))
    groups = [
        {"design": design, "url": site + design.get_absolute_url(), "items": list(items)}
        for design, items in groupby(ordered, key=lambda n: n.design)
    ]
    count = len(listed)
    label = "hourly" if digest.period == Period.HOURLY else "daily"
    subject = header_text(
        f"[Crit] Your {label} digest: {count} notification{'s' if count != 1 else ''} on "
        f"{len(groups)} design{'s' if len(groups) != 1 else ''}"
    )
    context = {
        "digest": digest,
        "label": label,
        "groups": groups,
        "count": count,
        "site": site,
        "inbox_url": f"{site}/reviews/notifications/",
        "settings_url": f"{site}/reviews/notifications/settings/",
    }
    text = render_to_string("reviews/email/digest.txt", context)
    html = render_to_string("reviews/email/digest.html", context)
    return subject, text, html


def digest_send(*, digest_id: int) -> str:
    """Send one claimed digest; returns its status.

    Guarantees: never sent twice. The row is locked and moved to "sending" (committed)
    before the mail server is called, and to "sent" once it accepted the message; a digest
    found "sent" or "sending" (a worker that died mid-send) is not sent again. A mail server
    error moves it to "failed" with the reason and propagates, so the task retries the same
    row. Notifications the person no longer wants emailed or can no longer read are marked
    skipped; a digest left with nothing to list is marked sent without an email.
    """
    with transaction.atomic():
        digest = (
            Digest.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=digest_id)
            .first()
        )
        if digest is None:
            return "missing"
        if digest.status in (Digest.Status.SENT, Digest.Status.SENDING):
            return digest.status
        notifications = list(
            digest.notifications.select_related("design", "recipient").order_by("created_at", "pk")
        )
        settings_row = NotificationSettings.objects.filter(user_id=digest.user_id).first()
        listed = _wanted(notifications, settings_row=settings_row)
        listed_ids = {n.pk for n in listed}
        now = timezone.now()
        Notification.objects.filter(
            pk__in=[n.pk for n in notifications if n.pk not in listed_ids]
        ).update(email_status=Notification.EmailStatus.SKIPPED, updated_at=now)
        if not listed:
            digest.status = Digest.Status.SENT
            digest.save(update_fields=["status", "updated_at"])
            return digest.status
        digest.status = Digest.Status.SENDING
        digest.attempts += 1
        digest.save(update_fields=["status", "attempts", "updated_at"])
    subject, text, html = digest_message(digest=digest, listed=listed)
    try:
        send_mail(
            subject=subject,
            message=text,
            from_email=None,
            recipient_list=[digest.user.email],
            html_message=html,
        )
    except Exception as exc:
        Digest.objects.filter(pk=digest.pk).update(
            status=Digest.Status.FAILED,
            error=f"The digest could not be sent: {exc or type(exc).__name__}"[:500],
            updated_at=timezone.now(),
        )
        raise
    with transaction.atomic():
        now = timezone.now()
        Digest.objects.filter(pk=digest.pk).update(
            status=Digest.Status.SENT, sent_at=now, error="", updated_at=now
        )
        Notification.objects.filter(pk__in=listed_ids).update(
            email_status=Notification.EmailStatus.SENT, email_error="", updated_at=now
        )
    if settings.CRIT_EMAILS_PER_HOUR:  # the digest is one email of the hour
        window_hit(f"emails:{digest.user_id}", window=60 * 60)
    return Digest.Status.SENT
