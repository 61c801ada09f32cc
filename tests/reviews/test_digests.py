"""Digest emails: each person chooses per kind of notification how it is emailed; hourly and
daily digests are one email per person per period, grouped by design, claimed once and
never sent twice, retried after a failure. The Celery task is called directly, on
PostgreSQL."""

import datetime
from smtplib import SMTPServerDisconnected
from unittest import mock

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from reviews import services, tasks
from reviews.models import Digest, Notification
from tests.factories import UserFactory, add_comment, make_design, request_review

from .conftest import section_of

pytestmark = pytest.mark.django_db

NEXT_HOUR = datetime.timedelta(hours=1)
NEXT_DAY = datetime.timedelta(days=1)


@pytest.fixture
def dora(db):
    return UserFactory(username="dora", email="dora@example.com")


@pytest.fixture
def two_designs(team, alice, dora):
    """Two designs of alice's team, dora asked to review both."""
    first = make_design(team=team, author=alice, title="Alpha cache")
    second = make_design(team=team, author=alice, title="Beta queue")
    for design in (first, second):
        request_review(design=design, reviewer=dora, requested_by=alice)
    return first, second


def _comment_on(designs, author, times: int = 1) -> None:
    for design in designs:
        for n in range(times):
            add_comment(section=section_of(design), author=author, body=f"Comment {n}.")


def _mailed(user) -> list:
    return [m for m in mail.outbox if user.email in m.to]


def _claim(capture, at):
    with capture(execute=True):
        return services.digests_claim(now=at)


def test_an_hourly_choice_holds_the_email_for_the_digest(
    alice, dora, two_designs, django_capture_on_commit_callbacks
):
    services.notification_settings_update(user=alice, delivery={"comment": "hourly"})
    with django_capture_on_commit_callbacks(execute=True):
        _comment_on(two_designs, dora)
    notes = Notification.objects.filter(recipient=alice, kind="comment")
    assert [(n.email_status, n.digest_period) for n in notes] == [("held", "hourly")] * 2
    assert _mailed(alice) == []


def test_one_hourly_digest_per_person_grouped_by_design(
    alice, bob, dora, team, two_designs, django_capture_on_commit_callbacks
):
    from tests.factories import MembershipFactory

    MembershipFactory(team=team, user=bob)
    for user in (alice, bob):
        services.notification_settings_update(user=user, delivery={"comment": "hourly"})
    with django_capture_on_commit_callbacks(execute=True):
        _comment_on(two_designs, dora, times=2)
    mail.outbox.clear()

    assert _claim(django_capture_on_commit_callbacks, timezone.now()) == []  # hour not over
    enqueued = _claim(django_capture_on_commit_callbacks, timezone.now() + NEXT_HOUR)

    assert len(enqueued) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, bob.email])
    (message,) = _mailed(alice)
    assert "hourly digest: 4 notifications on 2 designs" in message.subject
    body = message.body
    alpha, beta = two_designs
    assert body.index("Alpha cache") < body.index("Beta queue")  # grouped, one heading each
    assert body.count("Alpha cache\n") == 1 and body.count("Beta queue\n") == 1
    assert body.count("dora commented") == 4
    assert f"/designs/{alpha.pk}/" in body and f"/designs/{beta.pk}/" in body
    html = message.alternatives[0][0]
    assert html.count("<h2>") == 2 and "Alpha cache</a>" in html
    digest = Digest.objects.get(user=alice)
    assert (digest.status, digest.period, digest.attempts) == ("sent", "hourly", 1)
    assert set(
        Notification.objects.filter(recipient=alice).values_list("email_status", flat=True)
    ) <= {"sent"}


def test_a_second_sweep_of_the_same_period_sends_nothing(
    alice, dora, two_designs, django_capture_on_commit_callbacks
):
    services.notification_settings_update(user=alice, delivery={"comment": "hourly"})
    with django_capture_on_commit_callbacks(execute=True):
        _comment_on(two_designs, dora)
    mail.outbox.clear()
    later = timezone.now() + NEXT_HOUR
    _claim(django_capture_on_commit_callbacks, later)
    assert _claim(django_capture_on_commit_callbacks, later) == []
    assert _claim(django_capture_on_commit_callbacks, later + datetime.timedelta(minutes=5)) == []
    assert len(_mailed(alice)) == 1


def test_the_database_refuses_a_second_digest_for_one_period(alice):
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    Digest.objects.create(user=alice, period="hourly", period_start=start)
    with pytest.raises(IntegrityError), transaction.atomic():
        Digest.objects.create(user=alice, period="hourly", period_start=start)


def test_the_next_period_digest_lists_only_what_came_since(
    alice, dora, two_designs, django_capture_on_commit_callbacks
):
    services.notification_settings_update(user=alice, delivery={"comment": "hourly"})
    alpha, beta = two_designs
    with django_capture_on_commit_callbacks(execute=True):
        _comment_on([alpha], dora)
    _claim(django_capture_on_commit_callbacks, timezone.now() + NEXT_HOUR)
    with django_capture_on_commit_callbacks(execute=True):
        _comment_on([beta], dora)
    mail.outbox.clear()
    _claim(django_capture_on_commit_callbacks, timezone.now() + NEXT_HOUR)  # same hour: sent
    assert mail.outbox == []
    _claim(django_capture_on_commit_callbacks, timezone.now() + 2 * NEXT_HOUR)
    (message,) = _mailed(alice)
    assert "Beta queue" in message.body and "Alpha cache" not in message.body


def test_a_daily_digest_waits_for_the_day_to_end(
    alice, dora, two_designs, django_capture_on_commit_callbacks
):
    services.notification_settings_update(user=alice, delivery={"comment": "daily"})
    with django_capture_on_commit_callbacks(execute=True):
        _comment_on(two_designs, dora)
    mail.outbox.clear()
    _claim(django_capture_on_commit_callbacks, timezone.now() + datetime.timedelta(seconds=1))
    assert mail.outbox == []
    _claim(django_capture_on_commit_callbacks, timezone.now() + NEXT_DAY)
    (message,) = _mailed(alice)
    assert "daily digest: 2 notifications on 2 designs" in message.subject
    assert Digest.objects.get(user=alice).period == "daily"


def test_none_sends_no_email_and_immediate_sends_at_once(
    alice, dora, two_designs, django_capture_on_commit_callbacks
):
    services.notification_settings_update(
        user=alice, delivery={"comment": "none", "verdict": "immediate"}
    )
    alpha, _ = two_designs
    with django_capture_on_commit_callbacks(execute=True):
        _comment_on([alpha], dora)
        services.verdict_submit(design=alpha, reviewer=dora, kind="approve")
    (message,) = _mailed(alice)
    assert "dora approved" in message.subject
    comment_note = Notification.objects.get(recipient=alice, kind="comment")
    assert comment_note.email_status == "skipped" and comment_note.read_at is None
    _claim(django_capture_on_commit_callbacks, timezone.now() + NEXT_DAY)
    assert len(_mailed(alice)) == 1
    assert not Digest.objects.exists()


def test_a_failed_send_is_retried_and_then_sent_once(
    alice, dora, two_designs, django_capture_on_commit_callbacks
):
    services.notification_settings_update(user=alice, delivery={"comment": "hourly"})
    with django_capture_on_commit_callbacks(execute=True):
        _comment_on(two_designs, dora)
    mail.outbox.clear()
    real_send = mail.get_connection().__class__.send_messages
    calls = {"n": 0}

    def flaky(self, messages):
        calls["n"] += 1
        if calls["n"] == 1:
            raise SMTPServerDisconnected("the relay hung up")
        return real_send(self, messages)

    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", flaky):
        # The task asks Celery to retry it (kept from running here: the retry is below).
        with mock.patch.object(tasks.digest_send, "retry", side_effect=RuntimeError) as retry:
            _claim(django_capture_on_commit_callbacks, timezone.now() + NEXT_HOUR)
        assert retry.call_args.kwargs["countdown"] == 30
        digest = Digest.objects.get(user=alice)
        assert digest.status == "failed" and "hung up" in digest.error
        assert mail.outbox == []
        # The retry sends the same row.
        assert tasks.digest_send.apply(args=[digest.pk]).get() == "sent"
    assert len(_mailed(alice)) == 1
    digest.refresh_from_db()
    assert (digest.status, digest.attempts) == ("sent", 2)
    assert tasks.digest_send.apply(args=[digest.pk]).get() == "sent"  # a late duplicate
    assert len(_mailed(alice)) == 1


def test_a_digest_left_sending_by_a_dead_worker_is_never_sent_again(
    alice, dora, two_designs, django_capture_on_commit_callbacks
):
    services.notification_settings_update(user=alice, delivery={"comment": "hourly"})
    with django_capture_on_commit_callbacks(execute=True):
        _comment_on(two_designs, dora)
    mail.outbox.clear()
    with mock.patch.object(tasks.digest_send, "delay"):  # the task is lost
        services.digests_claim(now=timezone.now() + NEXT_HOUR)
    digest = Digest.objects.get(user=alice)
    Digest.objects.filter(pk=digest.pk).update(status="sending")  # sent, then the crash
    assert services.digest_send(digest_id=digest.pk) == "sending"
    _claim(django_capture_on_commit_callbacks, timezone.now() + 3 * NEXT_HOUR)
    assert mail.outbox == []


def test_a_digest_whose_task_was_lost_is_sent_by_a_later_sweep(
    alice, dora, two_designs, django_capture_on_commit_callbacks
):
    services.notification_settings_update(user=alice, delivery={"comment": "hourly"})
    with django_capture_on_commit_callbacks(execute=True):
        _comment_on(two_designs, dora)
    mail.outbox.clear()
    with mock.patch.object(tasks.digest_send, "delay"):
        services.digests_claim(now=timezone.now() + NEXT_HOUR)
    assert mail.outbox == []
    _claim(django_capture_on_commit_callbacks, timezone.now() + NEXT_HOUR + NEXT_HOUR)
    assert len(_mailed(alice)) == 1


def test_the_digest_skips_what_the_person_switched_off_since(
    alice, dora, two_designs, django_capture_on_commit_callbacks
):
    services.notification_settings_update(user=alice, delivery={"comment": "hourly"})
    with django_capture_on_commit_callbacks(execute=True):
        _comment_on(two_designs, dora)
    services.notification_settings_update(user=alice, email_enabled=False)
    mail.outbox.clear()
    _claim(django_capture_on_commit_callbacks, timezone.now() + NEXT_HOUR)
    assert mail.outbox == []
    assert set(
        Notification.objects.filter(recipient=alice).values_list("email_status", flat=True)
    ) == {"skipped"}


def test_the_sweep_task_claims_and_sends(
    alice, dora, two_designs, django_capture_on_commit_callbacks
):
    services.notification_settings_update(user=alice, delivery={"comment": "hourly"})
    with django_capture_on_commit_callbacks(execute=True):
        _comment_on(two_designs, dora)
    Notification.objects.update(created_at=timezone.now() - NEXT_HOUR)  # held last hour
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.notification_digests_sweep.apply().get() == 1
    assert len(_mailed(alice)) == 1


def test_sending_a_digest_costs_the_same_with_2_or_40_notifications(
    alice, dora, team, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.notification_settings_update(user=alice, delivery={"comment": "daily"})
    costs = []
    for count in (2, 40):
        designs = [make_design(team=team, author=alice, title=f"D{count}-{n}") for n in range(2)]
        for design in designs:
            request_review(design=design, reviewer=dora, requested_by=alice)
        with django_capture_on_commit_callbacks(execute=True):
            _comment_on(designs, dora, times=count // 2)
        with mock.patch.object(tasks.digest_send, "delay"):
            (digest_id,) = services.digests_claim(now=timezone.now() + (len(costs) + 1) * NEXT_DAY)
        with CaptureQueriesContext(connection) as queries:
            assert services.digest_send(digest_id=digest_id) == "sent"
        costs.append(len(queries))
    assert costs[0] == costs[1]


def test_the_settings_page_offers_each_choice_per_kind(client, alice):
    client.force_login(alice)
    page = client.get("/reviews/notifications/settings/").content.decode()
    assert 'name="delivery_rereview_requested"' in page
    assert page.count('value="daily"') == len(Notification.Kind.values)


def test_an_unknown_choice_is_refused_and_nothing_saved(client, alice):
    client.force_login(alice)
    response = client.post(
        "/reviews/notifications/settings/", {"email_enabled": "on", "delivery_comment": "weekly"}
    )
    assert response.status_code == 400
    assert not hasattr(alice, "notification_settings") or not alice.notification_settings.pk


def test_the_settings_page_query_budget(client, alice, django_assert_max_num_queries):
    client.force_login(alice)
    client.get("/reviews/notifications/settings/")
    with django_assert_max_num_queries(8):
        client.get("/reviews/notifications/settings/")
