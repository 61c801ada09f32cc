"""Emails about a design are sent whatever its title holds, and every failure to send is
recorded on the notification with a reason a person can read."""

import socket

import pytest
from django.core import mail

from accounts.models import User
from config.mail import header_text
from designs.models import Design
from reviews import tasks
from reviews.models import Notification
from tests.factories import add_comment
from tests.reviews.conftest import section_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "title",
    [
        pytest.param("Launch\r\nBcc: victim@example.com", id="crlf"),
        pytest.param("Launch\nplan", id="lf"),
        pytest.param("Launch\u2028plan", id="line-separator"),
        pytest.param("Launch\u2029plan", id="paragraph-separator"),
        pytest.param("Launch\u0085plan", id="next-line"),
        pytest.param("Launch\x0b\x0cplan", id="vertical-tab-form-feed"),
    ],
)
def test_a_title_with_line_breaks_is_emailed_with_a_one_line_subject(
    reviewed, alice, bob, title, django_capture_on_commit_callbacks
):
    # Titles stored before they were checked at input may still hold line breaks.
    Design.objects.filter(pk=reviewed.pk).update(title=title)
    reviewed.refresh_from_db()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        add_comment(section=section_of(reviewed), author=bob, body="A question.")
    note = Notification.objects.get(recipient=alice)
    assert note.email_status == Notification.EmailStatus.SENT, note.email_error
    [message] = mail.outbox
    assert message.subject.startswith("[Crit] ")
    assert "Launch" in message.subject
    assert not any(c in message.subject for c in "\r\n\u2028\u2029\u0085\x0b\x0c")
    assert "Bcc" not in message.message()
    assert message.bcc == []


def test_header_text_is_one_line_collapsed_and_bounded():
    assert header_text("a\r\n\tb\u2028\u2029c\x00d  e\u00a0f") == "a b c d e f"
    assert header_text("x" * 300, max_chars=10) == "x" * 9 + "…"


def test_a_message_that_cannot_be_built_is_recorded_as_failed_at_once(
    reviewed, alice, bob, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=alice.pk).update(email="alice@example.com\nBcc: x@example.com")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        add_comment(section=section_of(reviewed), author=bob)
    note = Notification.objects.get(recipient=alice)
    assert note.email_status == Notification.EmailStatus.FAILED
    assert note.email_error.startswith("The email could not be sent: the message could not be")
    assert mail.outbox == []


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_mail_server_is_retried_then_recorded_as_failed(
    reviewed, alice, bob, settings, closed_port, monkeypatch
):
    add_comment(section=section_of(reviewed), author=bob)
    note = Notification.objects.get(recipient=alice)
    Notification.objects.filter(pk=note.pk).update(email_status="")
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": closed_port, "timeout": 2},
        }
    }
    attempts = []
    real_send = tasks.services.notification_email_send

    def counting_send(**kwargs):
        attempts.append(1)
        return real_send(**kwargs)

    monkeypatch.setattr(tasks.services, "notification_email_send", counting_send)
    tasks.notification_email.apply(args=[note.pk])
    assert len(attempts) == tasks.MAX_RETRIES + 1
    note.refresh_from_db()
    assert note.email_status == Notification.EmailStatus.FAILED
    assert "could not be reached" in note.email_error


def test_a_failed_attempt_that_will_be_retried_says_so_on_the_notification(reviewed, alice, bob):
    from reviews import services

    add_comment(section=section_of(reviewed), author=bob)
    note = Notification.objects.get(recipient=alice)
    services.notification_email_failed(notification_id=note.pk, error="busy", retry_in=60)
    note.refresh_from_db()
    assert note.email_status == Notification.EmailStatus.FAILED
    assert note.email_error == "The email could not be sent yet (busy); trying again in 60 s."
