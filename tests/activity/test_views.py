"""The activity pages, the webhook pages and the activity API: filters, pages, and who may
see what."""

import pytest
from django.urls import reverse

from activity.models import Delivery, Event, EventKind, Webhook
from activity.selectors import PAGE_SIZE
from activity.services import event_record
from designs import services as design_services
from designs.models import Section
from tests.api.conftest import ApiClient
from tests.factories import (
    TeamFactory,
    UserFactory,
    add_comment,
    make_api_token,
    make_design,
    request_review,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def section(design):
    return Section.objects.get(design=design, position=1)


@pytest.fixture
def bob(design, alice):
    bob = UserFactory(username="bob")
    request_review(design=design, reviewer=bob, requested_by=alice)
    return bob


def _saves(section, user, count: int) -> None:
    for n in range(count):
        section = design_services.section_update(
            section=section, body=f"Text {n}", base_version=section.version, edited_by=user
        )


def test_the_design_page_links_to_its_activity(client, design, alice):
    client.force_login(alice)
    response = client.get(design.get_absolute_url())
    assert reverse("activity:design", args=[design.pk]).encode() in response.content


def test_a_design_activity_lists_its_events_newest_first(client, design, section, alice, bob):
    _saves(section, alice, 2)
    add_comment(section=section, author=bob, body="Hm.")
    client.force_login(bob)
    response = client.get(reverse("activity:design", args=[design.pk]))
    assert response.status_code == 200
    summaries = [e.summary for e in response.context["page"].events]
    assert summaries[0].startswith("bob commented")
    assert summaries[1].endswith("(version 2)") and summaries[2].endswith("(version 1)")
    assert summaries[3] == "alice asked bob to review"
    assert response.content.decode().count('class="event ') == len(summaries)


def test_a_design_activity_shows_only_that_design(client, team, design, section, alice):
    other = make_design(team=team, author=alice, title="Other")
    _saves(Section.objects.get(design=other, position=1), alice, 1)
    client.force_login(alice)
    response = client.get(reverse("activity:design", args=[design.pk]))
    assert response.context["page"].events == []


def test_activity_filters_by_kind_and_person(client, design, section, alice, bob):
    _saves(section, alice, 2)
    add_comment(section=section, author=bob, body="Hm.")
    client.force_login(alice)
    url = reverse("activity:design", args=[design.pk])

    by_kind = client.get(url, {"kind": "comment.posted"}).context["page"].events
    by_person = client.get(url, {"actor": "ALICE"}).context["page"].events
    both = client.get(url, {"kind": "comment.posted", "actor": "alice"}).context["page"].events

    assert [e.kind for e in by_kind] == ["comment.posted"]
    assert {e.actor for e in by_person} == {alice}
    assert both == []


def test_an_unknown_kind_or_page_is_a_clear_400(client, design, alice):
    client.force_login(alice)
    url = reverse("activity:design", args=[design.pk])
    for params in ({"kind": "drop table"}, {"before": "yesterday"}, {"before": "9" * 30}):
        response = client.get(url, params)
        assert response.status_code == 400, params
        assert response.context["error"]


def test_activity_is_paginated_with_an_older_link(client, design, section, alice):
    _saves(section, alice, PAGE_SIZE + 3)
    client.force_login(alice)
    url = reverse("activity:design", args=[design.pk])

    first = client.get(url).context["page"]
    second = client.get(url, {"before": first.next_cursor}).context["page"]

    assert len(first.events) == PAGE_SIZE and first.next_cursor
    assert len(second.events) == 3 and second.next_cursor is None
    seen = [e.pk for e in first.events + second.events]
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == PAGE_SIZE + 3


def test_the_older_link_keeps_the_filters(client, design, section, alice):
    _saves(section, alice, PAGE_SIZE + 1)
    client.force_login(alice)
    response = client.get(
        reverse("activity:design", args=[design.pk]), {"kind": "section.saved", "actor": "alice"}
    )
    assert "&amp;kind=section.saved&amp;actor=alice" in response.content.decode()


def test_the_htmx_answer_is_the_list_alone(client, design, section, alice):
    _saves(section, alice, 1)
    client.force_login(alice)
    response = client.get(reverse("activity:design", args=[design.pk]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="events">')


def test_outsiders_get_404_on_a_design_activity(client, design):
    client.force_login(UserFactory(username="mallory"))
    assert client.get(reverse("activity:design", args=[design.pk])).status_code == 404


def test_a_reviewer_sees_the_design_activity_but_not_the_team_activity(client, team, design, bob):
    client.force_login(bob)
    assert client.get(reverse("activity:design", args=[design.pk])).status_code == 200
    assert client.get(reverse("activity:team", args=[team.pk])).status_code == 404


def test_the_team_activity_lists_team_and_design_events(client, team, design, section, alice):
    _saves(section, alice, 1)
    event_record(kind=EventKind.MEMBERSHIP_CHANGED, actor=alice, team_id=team.pk, summary="Joined")
    other_team_design = make_design(team=TeamFactory(), title="Elsewhere")
    _saves(
        Section.objects.get(design=other_team_design, position=1), other_team_design.created_by, 1
    )
    client.force_login(alice)
    response = client.get(reverse("activity:team", args=[team.pk]))
    events = response.context["page"].events
    assert [e.kind for e in events] == ["membership.changed", "section.saved"]
    assert all(e.team_id == team.pk for e in events)
    assert "in URL shortener" in response.content.decode()


def test_the_team_page_links_to_activity_and_webhooks_for_owners_only(client, team, alice, member):
    client.force_login(alice)
    page = client.get(team.get_absolute_url()).content.decode()
    assert reverse("activity:team", args=[team.pk]) in page
    assert reverse("activity:webhooks", args=[team.pk]) in page
    client.force_login(member)
    page = client.get(team.get_absolute_url()).content.decode()
    assert reverse("activity:team", args=[team.pk]) in page
    assert reverse("activity:webhooks", args=[team.pk]) not in page


# The API.


def test_the_api_lists_a_design_activity_with_filters(design, section, alice, bob):
    _saves(section, alice, 2)
    add_comment(section=section, author=bob, body="Hm.")
    api = ApiClient(make_api_token(user=bob))
    response = api.get(f"/api/v1/designs/{design.pk}/activity")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4  # the review request, two saves, the comment
    first = body["items"][0]
    assert first["kind"] == "comment.posted"
    assert first["actor"] == {"id": bob.pk, "username": "bob"}
    assert first["design"] == {"id": design.pk, "title": design.title}
    assert first["section_key"] == section.key
    filtered = api.get(f"/api/v1/designs/{design.pk}/activity?kind=section.saved&actor=alice")
    assert filtered.json()["count"] == 2
    assert api.get(f"/api/v1/designs/{design.pk}/activity?kind=nope").status_code == 422


def test_the_api_lists_a_team_activity_for_members_only(team, design, section, alice, bob):
    _saves(section, alice, 1)
    ok = ApiClient(make_api_token(user=alice)).get(f"/api/v1/teams/{team.pk}/activity")
    assert ok.status_code == 200 and ok.json()["count"] == 2
    for user in (bob, UserFactory(username="mallory")):
        refused = ApiClient(make_api_token(user=user)).get(f"/api/v1/teams/{team.pk}/activity")
        assert refused.status_code == 404
    outsider = ApiClient(make_api_token(user=UserFactory(username="eve")))
    assert outsider.get(f"/api/v1/designs/{design.pk}/activity").status_code == 404


# Webhook pages.


@pytest.fixture
def local_allowed(settings):
    settings.CRIT_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]


def test_an_owner_adds_a_webhook_and_sees_its_secret_once(client, team, alice, local_allowed):
    client.force_login(alice)
    url = reverse("activity:webhooks", args=[team.pk])
    response = client.post(
        url, {"url": "http://127.0.0.1:9/hook", "kinds": ["section.saved", "comment.posted"]}
    )
    assert response.status_code == 200
    hook = Webhook.objects.get()
    assert hook.kinds == ["section.saved", "comment.posted"] and hook.created_by == alice
    assert hook.secret in response.content.decode()
    assert hook.secret not in client.get(url).content.decode()
    assert hook.secret not in client.get(hook.get_absolute_url()).content.decode()


def test_a_private_address_is_refused_with_a_clear_form_error(client, team, alice):
    client.force_login(alice)
    response = client.post(
        reverse("activity:webhooks", args=[team.pk]),
        {"url": "http://169.254.169.254/", "kinds": ["section.saved"]},
    )
    assert response.status_code == 400
    assert "public addresses" in response.context["form"].errors["url"][0]
    assert not Webhook.objects.exists()


def test_an_owner_edits_switches_off_regenerates_and_deletes_a_webhook(
    client, team, alice, local_allowed
):
    client.force_login(alice)
    client.post(
        reverse("activity:webhooks", args=[team.pk]),
        {"url": "http://127.0.0.1:9/", "kinds": ["section.saved"]},
    )
    hook = Webhook.objects.get()
    old_secret = hook.secret

    response = client.post(
        hook.get_absolute_url(), {"url": "http://127.0.0.1:10/", "kinds": ["verdict.given"]}
    )
    assert response.status_code == 302
    hook.refresh_from_db()
    assert (hook.url, hook.kinds, hook.active) == ("http://127.0.0.1:10/", ["verdict.given"], False)

    response = client.post(reverse("activity:webhook_secret", args=[team.pk, hook.pk]))
    hook.refresh_from_db()
    assert hook.secret != old_secret and hook.secret in response.content.decode()

    client.post(reverse("activity:webhook_delete", args=[team.pk, hook.pk]))
    assert not Webhook.objects.exists()


def test_the_delivery_log_and_send_again(client, team, design, section, alice, local_allowed):
    hook = Webhook.objects.create(
        team=team, url="http://127.0.0.1:9/", secret="s", kinds=["section.saved"]
    )
    _saves(section, alice, 1)
    event = Event.objects.get(kind="section.saved")
    failed = Delivery.objects.create(
        webhook=hook,
        event=event,
        status=Delivery.Status.FAILED,
        attempts=6,
        response_code=500,
        response_body="<b>boom</b>",
        error="The receiver answered 500.",
    )
    client.force_login(alice)
    page = client.get(hook.get_absolute_url()).content.decode()
    assert "The receiver answered 500." in page and "&lt;b&gt;boom&lt;/b&gt;" in page
    resend = reverse("activity:delivery_resend", args=[team.pk, hook.pk, failed.pk])
    assert resend in page

    response = client.post(resend)
    assert response.status_code == 302
    assert Delivery.objects.filter(webhook=hook).count() == 2


def test_members_get_403_and_outsiders_404_on_webhook_pages(client, team, member):
    url = reverse("activity:webhooks", args=[team.pk])
    client.force_login(member)
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(username="mallory"))
    assert client.get(url).status_code == 404


def test_a_webhook_of_another_team_is_404(client, team, alice):
    other = TeamFactory(created_by=alice)
    hook = Webhook.objects.create(team=other, url="http://x/", secret="s", kinds=["section.saved"])
    client.force_login(alice)
    url = reverse("activity:webhook", args=[team.pk, hook.pk])
    assert client.get(url).status_code == 404


HUGE = "1" * 25


@pytest.mark.parametrize(
    "query",
    ["actor=%00", "actor=a%00b", "kind=%00", "before=%00", "before=-1-1", "before=1-" + HUGE],
)
def test_crafted_filters_answer_400_or_nothing_never_a_500(client, design, alice, query):
    client.force_login(alice)
    response = client.get(reverse("activity:design", args=[design.pk]) + "?" + query)
    assert response.status_code in (200, 400)
    api = ApiClient(make_api_token(user=alice))
    answer = api.get(f"/api/v1/designs/{design.pk}/activity?" + query)
    assert answer.status_code in (200, 422)


@pytest.mark.parametrize(
    "path",
    [
        f"/designs/{HUGE}/activity/",
        f"/teams/{HUGE}/activity/",
        f"/teams/{HUGE}/webhooks/",
        f"/teams/1/webhooks/{HUGE}/",
        f"/api/v1/designs/{HUGE}/activity",
        f"/api/v1/teams/{HUGE}/activity",
    ],
)
def test_crafted_ids_answer_404_or_422(client, alice, path):
    client.force_login(alice)
    assert client.get(path).status_code in (404, 422)
