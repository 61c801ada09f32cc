"""Background jobs for accounts: emailing team invitations, and account mails (email
confirmation, password reset, a sign-up with a known address), sent by workers so a request
never waits on the mail server (and takes as long whether or not it mails anyone)."""

import logging
from smtplib import SMTPException

from celery import shared_task

from accounts import services
from accounts.models import User

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


_RETRY = {
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": True,
    "max_retries": MAX_RETRIES,
    "acks_late": True,
}


@shared_task(name="accounts.email_verification_mail", **_RETRY)
def email_verification_mail(user_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        services.email_verification_mail_send(user=user)


@shared_task(name="accounts.signup_attempt_mail", **_RETRY)
def signup_attempt_mail(owner_id: int) -> None:
    owner = User.objects.filter(pk=owner_id).first()
    if owner is not None and owner.email_verified:
        services.signup_attempt_mail_send(owner=owner)


@shared_task(name="accounts.password_reset_mail", **_RETRY)
def password_reset_mail(user_id: int) -> None:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is not None:
        services.password_reset_mail_send(user=user)
