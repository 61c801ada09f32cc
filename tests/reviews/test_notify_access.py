"""Notifications and their emails reach only people who may read the design when they go
out: someone whose review request was withdrawn, or who left the team, hears nothing more
of it, in the inbox or by email, and the email task checks again just before it sends."""

import pytest
from django.core import mail

from accounts import services as account_services
from designs import services as design_services
from reviews import services, tasks
from reviews.models import Comment, Notification, Verdict
from tests.factories import MembershipFactory, UserFactory

from .conftest import section_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(db):
    return UserFactory(username="carol", email="carol@example.com")


def _inbox(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def _mailed(user) -> int:
    return sum(user.email in message.to for message in mail.outbox)


def test_a_withdrawn_reviewer_hears_of_no_more_replies(
    design, alice, carol, django_capture_on_commit_callbacks
):
    services.review_request(design=design, reviewer=carol, requested_by=alice)
    thread = services.comment_add(section=section_of(design), author=carol, body="Why Redis?")
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_reply(parent=thread, author=alice, body="For the counters.")
    assert _inbox(carol).count("reply") == 1
    assert _mailed(carol) == 1

    services.review_request_withdraw(design=design, reviewer=carol, withdrawn_by=alice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_reply(parent=thread, author=alice, body="And the rate limits.")

    assert _inbox(carol).count("reply") == 1
    assert _mailed(carol) == 0


def test_someone_who_left_the_team_hears_of_no_more_replies_or_issue_changes(
    design, team, alice, carol, django_capture_on_commit_callbacks
):
    MembershipFactory(team=team, user=carol)
    issue = services.comment_add(
        section=section_of(design), author=carol, body="No backups?", raise_issue=True
    )
    account_services.team_member_remove(team=team, user=carol, removed_by=carol)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.comment_reply(parent=issue, author=alice, body="Nightly, to S3.")
        services.issue_status_change(
            comment=issue, to_status=Comment.IssueStatus.FIXED, changed_by=alice
        )

    assert _inbox(carol) == []
    assert _mailed(carol) == 0


def test_the_thread_still_reaches_those_who_can_read(
    design, alice, carol, django_capture_on_commit_callbacks
):
    """The filter takes away former readers only: a current reviewer still hears."""
    services.review_request(design=design, reviewer=carol, requested_by=alice)
    issue = services.comment_add(
        section=section_of(design), author=carol, body="No backups?", raise_issue=True
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_reply(parent=issue, author=alice, body="Nightly, to S3.")
        services.issue_status_change(
            comment=issue, to_status=Comment.IssueStatus.FIXED, changed_by=alice
        )
    assert {"issue_changed", "reply"} <= set(_inbox(carol))
    assert _mailed(carol) == 2


def test_a_withdrawn_reviewer_is_not_told_their_approval_went_stale(design, alice, carol):
    services.review_request(design=design, reviewer=carol, requested_by=alice)
    services.verdict_submit(design=design, reviewer=carol, kind=Verdict.Kind.APPROVE)
    services.review_request_withdraw(design=design, reviewer=carol, withdrawn_by=alice)

    section = section_of(design)
    section = design_services.section_update(
        section=section, body="A new plan.", base_version=section.version, edited_by=alice
    )
    services.approvals_mark_stale(section=section, edited_by=alice)

    assert Verdict.objects.get(reviewer=carol).stale_at is not None

    assert "approval_stale" not in _inbox(carol)


def test_the_email_task_sends_nothing_to_someone_who_lost_access_after_the_notification(
    design, alice, carol, django_capture_on_commit_callbacks
):
    services.review_request(design=design, reviewer=carol, requested_by=alice)
    thread = services.comment_add(section=section_of(design), author=carol, body="Why Redis?")
    with django_capture_on_commit_callbacks(execute=False) as pending:
        services.comment_reply(parent=thread, author=alice, body="For the counters.")
    note = Notification.objects.get(recipient=carol, kind="reply")
    assert pending  # the email is queued, not sent yet

    services.review_request_withdraw(design=design, reviewer=carol, withdrawn_by=alice)
    mail.outbox.clear()
    assert tasks.notification_email.delay(note.pk).get() == "skipped"

    assert mail.outbox == []
    note.refresh_from_db()
    assert note.email_status == "skipped"


def test_the_email_task_still_sends_to_someone_who_can_read(
    design, alice, carol, django_capture_on_commit_callbacks
):
    services.review_request(design=design, reviewer=carol, requested_by=alice)
    note = Notification.objects.get(recipient=carol, kind="review_requested")
    mail.outbox.clear()
    assert tasks.notification_email.delay(note.pk).get() == "sent"
    assert _mailed(carol) == 1


def test_nobody_outside_is_mentioned_into_a_notification(design, alice, carol, outsider):
    services.review_request(design=design, reviewer=carol, requested_by=alice)
    services.review_request_withdraw(design=design, reviewer=carol, withdrawn_by=alice)
    services.comment_add(section=section_of(design), author=alice, body="@carol @mallory look")
    assert _inbox(carol) == ["review_requested"]
    assert _inbox(outsider) == []


def test_a_reader_with_an_unverified_address_gets_the_inbox_but_no_email(
    design, alice, django_capture_on_commit_callbacks
):
    claimed = UserFactory(username="claimed", email="jane.doe@example.com", email_verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_request(design=design, reviewer=claimed, requested_by=alice)
    assert _inbox(claimed) == ["review_requested"]
    assert _mailed(claimed) == 0
    assert Notification.objects.get(recipient=claimed).email_status == "skipped"
