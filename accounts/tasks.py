"""Background jobs for accounts: emailing team invitations."""

import logging
from smtplib import SMTPException

from celery import shared_task

from accounts import services

logger = logging.getLogger(__name__)

MAX_RETRIES = 5


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def invitation_email(self, invitation_id: int) -> str:
    """Email one invitation. Idempotent (the row's ``emailed_at`` guards it); mail server
    errors retry with backoff, and the inviter is never told either way."""
    try:
        return services.invitation_email_send(invitation_id=invitation_id)
    except (SMTPException, OSError) as exc:
        if self.request.retries >= MAX_RETRIES:
            logger.warning("Giving up emailing invitation %s: %s", invitation_id, exc)
            return "failed"
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
