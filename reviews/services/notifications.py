"""The inbox and the emails that follow notifications."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from reviews.models import (
    Notification,
    NotificationSettings,
)
from reviews.services._common import (
    Kind,
)


@transaction.atomic
def notification_mark_read(*, notification: Notification, user: User) -> Notification:
    """Mark one of ``user``'s notifications read. Idempotent."""
    if notification.recipient_id != user.pk:
        raise PermissionError("That notification is not yours.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at", "updated_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many. Idempotent."""
    now = timezone.now()
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=now, updated_at=now
    )


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


@transaction.atomic
def notification_email_send(*, notification_id: int) -> str:
    """Email one notification to its recipient unless their settings say no.

    Idempotent: the row is locked and its email status checked, so a notification is
    emailed at most once. Returns the email status. Mail server errors propagate so the
    task can retry.
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
    ):
        return notification.email_status
    recipient = notification.recipient
    settings_row = NotificationSettings.objects.filter(user=recipient).first()
    if (
        not recipient.email
        or not recipient.is_active
        or not wants_email(settings_row, notification.kind)
    ):
        status = Notification.EmailStatus.SKIPPED
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
            subject=f"[Crit] {notification.text}",
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
def notification_email_failed(*, notification_id: int, error: str) -> None:
    """Record that emailing a notification failed for good, with a readable reason."""
    Notification.objects.filter(pk=notification_id).exclude(
        email_status=Notification.EmailStatus.SENT
    ).update(
        email_status=Notification.EmailStatus.FAILED,
        email_error=f"The email could not be sent: {error}"[:500],
        updated_at=timezone.now(),
    )
