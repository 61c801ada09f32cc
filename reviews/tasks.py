"""Background jobs for reviews: emailing notifications, and the hourly and daily digests of
the emails held for them."""

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


@shared_task(
    bind=True,
    max_retries=MAX_RETRIES,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=50,
    time_limit=60,
)
def digest_send(self, digest_id: int) -> str:
    """Send one claimed digest. Its row's status guards it (never sent twice); mail server
    errors are recorded on the row and retried with backoff; the sweep tries a digest whose
    every retry failed again later."""
    try:
        return services.digest_send(digest_id=digest_id)
    except (SMTPException, OSError) as exc:
        if self.request.retries >= MAX_RETRIES:
            logger.warning("Giving up digest %s for now: %s", digest_id, exc)
            return "failed"
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc


@shared_task(
    name="reviews.email_digests",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=50,
    time_limit=60,
)
def notification_digests_sweep() -> int:
    """Claim the digests of the hour or day that ended, and send them (Celery beat)."""
    return len(services.digests_claim())
