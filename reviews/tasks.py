"""Background jobs for reviews: emailing notifications, and the digests of emails held by
the hourly cap."""

import logging
from smtplib import SMTPException

from celery import shared_task

from reviews import services

logger = logging.getLogger(__name__)

MAX_RETRIES = 5


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def notification_email(self, notification_id: int) -> str:
    """Email one notification. Idempotent (the row's email status guards it); mail server
    errors retry with backoff and the last failure is recorded on the notification."""
    try:
        return services.notification_email_send(notification_id=notification_id)
    except (SMTPException, OSError) as exc:
        if self.request.retries >= MAX_RETRIES:
            logger.warning("Giving up emailing notification %s: %s", notification_id, exc)
            services.notification_email_failed(notification_id=notification_id, error=str(exc))
            return "failed"
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def notification_digest(self, recipient_id: int) -> int:
    """Email one person the digest of their held notifications. Idempotent (held rows
    leave "held" when listed); mail server errors retry with backoff, the rows stay held
    for the next sweep if every retry fails."""
    try:
        return services.notification_digest_send(recipient_id=recipient_id)
    except (SMTPException, OSError) as exc:
        if self.request.retries >= MAX_RETRIES:
            logger.warning("Giving up the email digest for user %s: %s", recipient_id, exc)
            return 0
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc


@shared_task(
    name="reviews.email_digests",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=50,
    time_limit=60,
)
def notification_digests_sweep() -> int:
    """Queue a digest for everyone whose held emails' hour is over (Celery beat)."""
    due = services.notification_digests_due()
    for recipient_id in due:
        notification_digest.delay(recipient_id)
    return len(due)
