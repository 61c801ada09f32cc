"""The inbox."""

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from reviews.models import (
    Notification,
    NotificationSettings,
)


def notification_list(*, fetched_by: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=fetched_by).select_related(
        "actor", "design", "section"
    )


def notification_unread_count(*, user: User) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_settings_for(*, user: User) -> NotificationSettings | None:
    return NotificationSettings.objects.filter(user=user).first()


def notification_get_for(user: User, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification
