"""Nobody can be flooded: review requests are limited per requester, asking again sends no
second notification, a mention in a comment is notified once however often it is edited
in and out, and past the hourly email cap notifications still reach the inbox while their
emails wait for one digest."""

import datetime

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from config.ratelimit import window_clear
from reviews import services, tasks
from reviews.models import Notification
from tests.api.conftest import ApiClient
from tests.factories import UserFactory, make_api_token, make_design

from .conftest import section_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(db):
    return UserFactory(username="carol", email="carol@example.com")


def _notes(user, kind: str) -> int:
    return Notification.objects.filter(recipient=user, kind=kind).count()


def _mailed(user) -> int:
    return sum(user.email in message.to for message in mail.outbox)


# Review requests -----------------------------------------------------------------------------


def test_asking_the_same_person_again_sends_no_second_notification_or_email(
    design, alice, carol, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.review_request(design=design, reviewer=carol, requested_by=alice)
        services.notifications_mark_all_read(user=carol)  # read or not, once is enough
        for n in range(29):
            services.review_request(
                design=design, reviewer=carol, requested_by=alice, message=f"Please ({n})"
            )
    assert _notes(carol, "review_requested") == 1
    assert _mailed(carol) == 1
    assert design.review_requests.get().message == "Please (28)"


def test_asking_again_after_a_withdrawal_adds_nothing_while_the_first_is_unread(
    design, alice, carol
):
    services.review_request(design=design, reviewer=carol, requested_by=alice)
    services.review_request_withdraw(design=design, reviewer=carol, withdrawn_by=alice)
    services.review_request(design=design, reviewer=carol, requested_by=alice)
    assert _notes(carol, "review_requested") == 1

    services.notifications_mark_all_read(user=carol)
    services.review_request_withdraw(design=design, reviewer=carol, withdrawn_by=alice)
    services.review_request(design=design, reviewer=carol, requested_by=alice)
    assert _notes(carol, "review_requested") == 2


def test_review_requests_past_the_limit_a_minute_are_refused_on_the_page(
    client, design, alice, settings
):
    settings.CRIT_REVIEW_REQUESTS_PER_MINUTE = 3
    url = reverse("reviews:request", args=[design.pk])
    client.force_login(alice)
    for n in range(3):
        UserFactory(username=f"rev{n}")
        assert client.post(url, {"reviewer": f"rev{n}"}).status_code == 302

    UserFactory(username="rev3")
    response = client.post(url, {"reviewer": "rev3"})

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "at most 3 requests a minute" in response.content.decode()
    assert not design.review_requests.filter(reviewer__username="rev3").exists()
    assert _notes(UserFactory._meta.model.objects.get(username="rev3"), "review_requested") == 0


def test_the_review_request_limit_is_per_requester(client, design, team, alice, bob, settings):
    from tests.factories import MembershipFactory

    settings.CRIT_REVIEW_REQUESTS_PER_MINUTE = 1
    MembershipFactory(team=team, user=bob)
    services.review_request(design=design, reviewer=UserFactory(), requested_by=alice)
    with pytest.raises(services.ReviewRequestRateLimited):
        services.review_request(design=design, reviewer=UserFactory(), requested_by=alice)
    services.review_request(design=design, reviewer=UserFactory(), requested_by=bob)


def test_the_api_refuses_review_requests_past_the_limit_with_retry_after(
    design, alice, carol, settings
):
    settings.CRIT_REVIEW_REQUESTS_PER_MINUTE = 2
    api = ApiClient(make_api_token(user=alice))
    url = f"/api/v1/designs/{design.pk}/reviewers"
    assert api.post_json(url, {"username": "carol"}).status_code == 201
    assert api.post_json(url, {"username": "carol"}).status_code == 201

    response = api.post_json(url, {"username": "carol"})

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "at most 2 requests a minute" in response.json()["detail"]


# Mentions ------------------------------------------------------------------------------------


def test_editing_a_mention_in_and_out_notifies_once(design, alice, carol):
    services.review_request(design=design, reviewer=carol, requested_by=alice)
    comment = services.comment_add(section=section_of(design), author=alice, body="Draft")
    for n in range(70):
        body = f"Look at this @carol ({n})" if n % 2 == 0 else f"Never mind ({n})"
        comment = services.comment_edit(comment=comment, edited_by=alice, body=body)
    assert _notes(carol, "mention") == 1


def test_a_mention_in_the_first_text_is_not_repeated_by_edits(design, alice, carol):
    services.review_request(design=design, reviewer=carol, requested_by=alice)
    comment = services.comment_add(section=section_of(design), author=alice, body="@carol look")
    comment = services.comment_edit(comment=comment, edited_by=alice, body="Nothing")
    services.comment_edit(comment=comment, edited_by=alice, body="@carol look again")
    assert _notes(carol, "mention") == 1


def test_a_mention_in_another_comment_is_notified_again(design, alice, carol):
    services.review_request(design=design, reviewer=carol, requested_by=alice)
    services.comment_add(section=section_of(design), author=alice, body="@carol look")
    services.comment_add(section=section_of(design), author=alice, body="@carol and here")
    assert _notes(carol, "mention") == 2


def test_the_database_refuses_a_second_mention_notification_for_one_comment(design, alice, carol):
    services.review_request(design=design, reviewer=carol, requested_by=alice)
    comment = services.comment_add(section=section_of(design), author=alice, body="@carol look")
    first = Notification.objects.get(recipient=carol, kind="mention")
    first.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        first.save()
    assert Notification.objects.filter(comment=comment, kind="mention").count() == 1


# The hourly email cap ------------------------------------------------------------------------


def _five_requests_to(carol, alice, team) -> list[Notification]:
    for n in range(5):
        design = make_design(team=team, author=alice, title=f"Design {n}")
        services.review_request(design=design, reviewer=carol, requested_by=alice)
    return list(Notification.objects.filter(recipient=carol).order_by("pk"))


def test_past_the_hourly_cap_notifications_land_in_the_inbox_but_emails_are_held(
    team, alice, carol, settings, django_capture_on_commit_callbacks
):
    settings.CRIT_EMAILS_PER_HOUR = 2
    with django_capture_on_commit_callbacks(execute=True):
        _five_requests_to(carol, alice, team)

    notes = Notification.objects.filter(recipient=carol).order_by("pk")
    assert _mailed(carol) == 2
    assert [n.email_status for n in notes] == ["sent", "sent", "held", "held", "held"]
    assert {n.digest_period for n in notes if n.email_status == "held"} == {"hourly"}
    assert services.digests_claim() == []  # the hour is not over


def test_held_emails_go_out_as_one_digest_once_the_hour_is_over(
    team, alice, carol, settings, django_capture_on_commit_callbacks
):
    settings.CRIT_EMAILS_PER_HOUR = 2
    with django_capture_on_commit_callbacks(execute=True):
        _five_requests_to(carol, alice, team)
    mail.outbox.clear()
    window_clear(f"emails:{carol.pk}")
    next_hour = timezone.now() + datetime.timedelta(hours=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert len(services.digests_claim(now=next_hour)) == 1  # the hour is over

    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == ["carol@example.com"]
    assert "hourly digest: 3 notifications on 3 designs" in digest.subject
    assert "alice asked you to review “Design 4”" in digest.body
    assert not Notification.objects.filter(email_status="held").exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.digests_claim(now=next_hour) == []  # each held email once
    assert tasks.notification_digests_sweep.delay().get() == 0
    assert len(mail.outbox) == 1


def test_the_digest_leaves_out_designs_the_person_can_no_longer_read(
    team, alice, carol, settings, django_capture_on_commit_callbacks
):
    settings.CRIT_EMAILS_PER_HOUR = 2
    with django_capture_on_commit_callbacks(execute=True):
        notes = _five_requests_to(carol, alice, team)
    withdrawn = notes[4].design
    services.review_request_withdraw(design=withdrawn, reviewer=carol, withdrawn_by=alice)
    mail.outbox.clear()

    next_hour = timezone.now() + datetime.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.digests_claim(now=next_hour)

    assert "2 notifications on 2 designs" in mail.outbox[0].subject
    assert withdrawn.title not in mail.outbox[0].body
    notes[4].refresh_from_db()
    assert notes[4].email_status == "skipped"
