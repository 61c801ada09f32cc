"""The inbox and the emails that follow notifications."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.mail import header_text
from config.ratelimit import window_hit, window_peek
from designs.selectors import design_reader_ids, readable_design_ids
from reviews.models import (
    Notification,
    NotificationSettings,
)
from reviews.services._common import (
    Kind,
)
from reviews.signals import notifications_changed


@transaction.atomic
def notification_mark_read(*, notification: Notification, user: User) -> Notification:
    """Mark one of ``user``'s notifications read. Idempotent."""
    if notification.recipient_id != user.pk:
        raise PermissionError("That notification is not yours.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at", "updated_at"])
        notifications_changed.send(sender=Notification, recipient_ids=[user.pk])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many. Idempotent."""
    now = timezone.now()
    count = Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=now, updated_at=now
    )
    if count:
        notifications_changed.send(sender=Notification, recipient_ids=[user.pk])
    return count


EMAIL_SETTING_FIELDS = (
    "email_enabled",
    "email_review_requested",
    "email_comment",
    "email_issue_changed",
    "email_verdict",
    "email_mention",
    "email_approval_stale",
)


@transaction.atomic
def notification_settings_update(*, user: User, **flags: bool) -> NotificationSettings:
    """Store which events ``user`` is emailed about. Unknown names raise ValidationError."""
    unknown = set(flags) - set(EMAIL_SETTING_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown setting {sorted(unknown)[0]}.")
    row, _ = NotificationSettings.objects.get_or_create(user=user)
    for name, value in flags.items():
        setattr(row, name, bool(value))
    row.save()
    return row


def wants_email(settings_row: NotificationSettings | None, kind: str) -> bool:
    if settings_row is None:
        return True
    if not settings_row.email_enabled:
        return False
    name = "email_comment" if kind == Kind.REPLY else f"email_{kind}"
    return bool(getattr(settings_row, name, True))


def _email_key(recipient_id: int) -> str:
    return f"emails:{recipient_id}"


def _email_allowance_take(*, recipient: User) -> bool:
    """Count one email to ``recipient``; False once over CRIT_EMAILS_PER_HOUR (0: no cap)."""
    cap = settings.CRIT_EMAILS_PER_HOUR
    if not cap:
        return True
    return window_hit(_email_key(recipient.pk), window=60 * 60).count <= cap


def _still_reads(notification: Notification) -> bool:
    return bool(design_reader_ids(design=notification.design, user_ids=[notification.recipient_id]))


@transaction.atomic
def notification_email_send(*, notification_id: int) -> str:
    """Email one notification to its recipient unless their settings say no, or they can
    no longer read the design (access lost between the notification and now).

    Past CRIT_EMAILS_PER_HOUR emails to one person in the hour the notification stays in
    the inbox and its email is held for one digest when the hour is over
    (``notification_digest_send``). Idempotent: the row is locked and its email status
    checked, so a notification is emailed at most once. Returns the email status. Mail
    server errors propagate so the task can retry.
    """
    notification = (
        Notification.objects.select_for_update(of=("self",))
        .select_related("recipient", "design")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None:
        return "missing"
    if notification.email_status in (
        Notification.EmailStatus.SENT,
        Notification.EmailStatus.SKIPPED,
        Notification.EmailStatus.HELD,
    ):
        return notification.email_status
    recipient = notification.recipient
    settings_row = NotificationSettings.objects.filter(user=recipient).first()
    if (
        not recipient.email
        or not recipient.email_verified
        or not recipient.is_active
        or not wants_email(settings_row, notification.kind)
        or not _still_reads(notification)
    ):
        status = Notification.EmailStatus.SKIPPED
    elif not _email_allowance_take(recipient=recipient):
        status = Notification.EmailStatus.HELD
    else:
        link = settings.SITE_URL.rstrip("/") + notification.url
        lines = [notification.text + ".", ""]
        if notification.excerpt:
            lines += [f"> {notification.excerpt}", ""]
        lines += [
            f"Open it: {link}",
            "",
            "Choose which emails you get: "
            + settings.SITE_URL.rstrip("/")
            + "/reviews/notifications/settings/",
        ]
        send_mail(
            subject=header_text(f"[Crit] {notification.text}"),
            message="\n".join(lines),
            from_email=None,
            recipient_list=[recipient.email],
        )
        status = Notification.EmailStatus.SENT
    notification.email_status = status
    notification.email_error = ""
    notification.save(update_fields=["email_status", "email_error", "updated_at"])
    return status


@transaction.atomic
def notification_email_failed(
    *, notification_id: int, error: str, retry_in: int | None = None
) -> None:
    """Record that emailing a notification failed, with a readable reason: for good, or
    for now when ``retry_in`` says in how many seconds it is tried again. A notification
    already sent is left as it is."""
    message = f"The email could not be sent: {error}"
    if retry_in is not None:
        message = f"The email could not be sent yet ({error}); trying again in {retry_in} s."
    Notification.objects.filter(pk=notification_id).exclude(
        email_status=Notification.EmailStatus.SENT
    ).update(
        email_status=Notification.EmailStatus.FAILED,
        email_error=message[:500],
        updated_at=timezone.now(),
    )


DIGEST_LINES = 20


def notification_digests_due() -> list[int]:
    """Ids of people with emails held by the hourly cap whose hour is over."""
    held = (
        Notification.objects.filter(email_status=Notification.EmailStatus.HELD)
        .order_by()
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    return sorted(i for i in held if not window_peek(_email_key(i)).count)


@transaction.atomic
def notification_digest_send(*, recipient_id: int) -> int:
    """Send ``recipient_id`` one email listing the notifications whose emails the hourly
    cap held back, and mark them sent; held ones they no longer want emailed, or whose
    design they can no longer read, are marked skipped. The digest counts as one email of
    the new hour. Returns how many it listed (0: no email).

    Idempotent: the held rows are locked and leave "held" in the same transaction, so each
    is in one digest at most. Mail server errors propagate (nothing is marked) so the task
    can retry.
    """
    held = list(
        Notification.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("recipient")
        .filter(recipient_id=recipient_id, email_status=Notification.EmailStatus.HELD)
        .order_by("created_at", "pk")
    )
    if not held:
        return 0
    recipient = held[0].recipient
    settings_row = NotificationSettings.objects.filter(user=recipient).first()
    readable = readable_design_ids(user=recipient, design_ids={n.design_id for n in held})
    listed = [
        n
        for n in held
        if n.design_id in readable
        and wants_email(settings_row, n.kind)
        and recipient.email
        and recipient.email_verified
        and recipient.is_active
    ]
    if listed:
        site = settings.SITE_URL.rstrip("/")
        lines = [
            f"You had {len(listed)} more notification{'s' if len(listed) != 1 else ''} in "
            "the last hour than Crit emails one by one. They are all in your inbox:",
            "",
        ]
        lines += [f"- {n.text}: {site}{n.url}" for n in listed[:DIGEST_LINES]]
        if len(listed) > DIGEST_LINES:
            lines.append(f"- and {len(listed) - DIGEST_LINES} more")
        lines += [
            "",
            f"Your inbox: {site}/reviews/notifications/",
            f"Choose which emails you get: {site}/reviews/notifications/settings/",
        ]
        send_mail(
            subject=f"[Crit] {len(listed)} notification{'s' if len(listed) != 1 else ''} "
            "you were not emailed about",
            message="\n".join(lines),
            from_email=None,
            recipient_list=[recipient.email],
        )
        window_hit(_email_key(recipient.pk), window=60 * 60)
    now = timezone.now()
    listed_ids = {n.pk for n in listed}
    Notification.objects.filter(pk__in=listed_ids).update(
        email_status=Notification.EmailStatus.SENT, email_error="", updated_at=now
    )
    Notification.objects.filter(pk__in=[n.pk for n in held if n.pk not in listed_ids]).update(
        email_status=Notification.EmailStatus.SKIPPED, updated_at=now
    )
    return len(listed)
