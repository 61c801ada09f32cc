"""Background jobs for reviews: emailing notifications, and the digests of emails held by
the hourly cap."""

import logging
from smtplib import SMTPException

from celery import shared_task
from django.db import DatabaseError

from reviews import services

logger = logging.getLogger(__name__)

MAX_RETRIES = 5


def _reason(exc: Exception) -> str:
    if isinstance(exc, SMTPException):
        return f"the mail server refused it ({exc})"
    if isinstance(exc, OSError):
        return f"the mail server could not be reached ({exc})"
    return f"the message could not be built ({exc or type(exc).__name__})"


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def notification_email(self, notification_id: int) -> str:
    """Email one notification. Idempotent (the row's email status guards it). Every failure
    is recorded on the notification with a readable reason: mail server errors are retried
    with backoff, anything else (a message that cannot be built) fails for good at once."""
    try:
        return services.notification_email_send(notification_id=notification_id)
    except (SMTPException, OSError) as exc:
        if self.request.retries >= MAX_RETRIES:
            logger.warning("Giving up emailing notification %s: %s", notification_id, exc)
            services.notification_email_failed(notification_id=notification_id, error=_reason(exc))
            return "failed"
        countdown = 30 * 2**self.request.retries
        services.notification_email_failed(
            notification_id=notification_id, error=_reason(exc), retry_in=countdown
        )
        raise self.retry(exc=exc, countdown=countdown) from exc
    except DatabaseError:
        raise  # not about the email: the task fails and the broker delivers it again
    except Exception as exc:  # retrying would fail the same way
        logger.exception("Emailing notification %s failed", notification_id)
        services.notification_email_failed(notification_id=notification_id, error=_reason(exc))
        return "failed"


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
