"""The inbox and the emails that follow notifications."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.mail import header_text
from config.ratelimit import window_hit
from designs.selectors import design_reader_ids
from reviews.models import (
    EmailDelivery,
    Notification,
    NotificationSettings,
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


@transaction.atomic
def notification_settings_update(
    *, user: User, email_enabled: bool | None = None, delivery: dict[str, str] | None = None
) -> NotificationSettings:
    """Store whether ``user`` gets email at all and, per kind of notification, how: at once,
    in the hourly or daily digest, or not at all. Kinds left out keep their choice. Unknown
    kinds or choices raise ValidationError and nothing is saved. Atomic."""
    delivery = delivery or {}
    for kind, choice in delivery.items():
        if kind not in Notification.Kind.values:
            raise ValidationError({"delivery": f"Unknown kind of notification “{kind}”."})
        if choice not in EmailDelivery.values:
            raise ValidationError({"delivery": f"Unknown email choice “{choice}”."})
    row, _ = NotificationSettings.objects.select_for_update().get_or_create(user=user)
    if email_enabled is not None:
        row.email_enabled = bool(email_enabled)
    row.email_delivery = {**(row.email_delivery or {}), **delivery}
    row.save()
    return row


def delivery_for(settings_row: NotificationSettings | None, kind: str) -> str:
    """How ``kind`` is emailed: an EmailDelivery value (no row: at once; master switch
    off: none)."""
    if settings_row is None:
        return EmailDelivery.IMMEDIATE
    if not settings_row.email_enabled:
        return EmailDelivery.NONE
    return settings_row.delivery_for(kind)


def wants_email(settings_row: NotificationSettings | None, kind: str) -> bool:
    return delivery_for(settings_row, kind) != EmailDelivery.NONE


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
    no longer read the design (access lost between the notification and now). A kind they
    chose to hear of hourly or daily is held for that digest (``reviews.services.digests``).

    Past CRIT_EMAILS_PER_HOUR emails to one person in the hour the notification stays in
    the inbox and its email is held for the hourly digest. Idempotent: the row is locked
    and its email status checked, so a notification is emailed at most once. Returns the
    email status. Mail server errors propagate so the task can retry.
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
    delivery = delivery_for(settings_row, notification.kind)
    if (
        not recipient.email
        or not recipient.email_verified
        or not recipient.is_active
        or delivery == EmailDelivery.NONE
        or not _still_reads(notification)
    ):
        status = Notification.EmailStatus.SKIPPED
    elif delivery in (EmailDelivery.HOURLY, EmailDelivery.DAILY):
        status = Notification.EmailStatus.HELD
        notification.digest_period = delivery
    elif not _email_allowance_take(recipient=recipient):
        status = Notification.EmailStatus.HELD
        notification.digest_period = EmailDelivery.HOURLY
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
    notification.save(update_fields=["email_status", "email_error", "digest_period", "updated_at"])
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
