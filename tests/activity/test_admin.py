"""The admin shows events but cannot add, change or delete them; it never shows a secret."""

import pytest
from django.urls import reverse

from activity.models import Event, Webhook
from designs import services as design_services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_the_admin_lists_events_but_cannot_change_or_delete_them(admin_client, design, alice):
    section = design.sections.get(position=1)
    design_services.section_update(section=section, body="x", base_version=0, edited_by=alice)
    event = Event.objects.get()

    assert admin_client.get(reverse("admin:activity_event_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:activity_event_add")).status_code == 403
    change = reverse("admin:activity_event_change", args=[event.pk])
    assert admin_client.post(change, {"summary": "rewritten"}).status_code == 403
    delete = reverse("admin:activity_event_delete", args=[event.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.summary != "rewritten"


def test_the_admin_never_shows_a_webhook_secret(admin_client, team):
    hook = Webhook.objects.create(
        team=team, url="http://127.0.0.1:9/", secret="whsec_do-not-show", kinds=[]
    )
    page = admin_client.get(reverse("admin:activity_webhook_change", args=[hook.pk]))
    assert page.status_code == 200
    assert b"whsec_do-not-show" not in page.content
