"""Background jobs for reviews: emailing notifications."""

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
